"""Ask an idcoord sidecar for 3 IDs and print them, one per line.

    python3 next_id.py /run/idcoord/idcoord.sock
"""
import socket
import sys


def next_ids(sock, n):
    """Send one line-protocol request on a connected socket; return n IDs."""
    sock.sendall(b"%d\n" % n)
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("idcoord closed the connection")
        answer += chunk
    line = answer.decode("ascii").rstrip("\r\n")
    if line.startswith("ERR "):  # ERR UNAVAILABLE|BADREQUEST|TOOMANY <reason>
        raise RuntimeError(line)
    return [int(field) for field in line.split(" ")]


def main(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(path)
        # Keep the connection open and reuse it: requests may follow one
        # another on it.
        for id_ in next_ids(sock, 3):
            print(id_)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python3 next_id.py SOCKET", file=sys.stderr)
        sys.exit(2)
    try:
        main(sys.argv[1])
    except (OSError, RuntimeError) as err:
        sys.exit("next_id: %s: %s" % (sys.argv[1], err))
