// Asks an idcoord sidecar for 3 IDs and prints them, one per line.
// Java 16 or later: java NextId.java /run/idcoord/idcoord.sock
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

public class NextId {
    // Sends one line-protocol request on a connected channel; returns n IDs.
    static long[] nextIds(SocketChannel ch, int n) throws IOException {
        ch.write(ByteBuffer.wrap((n + "\n").getBytes(StandardCharsets.US_ASCII)));
        StringBuilder answer = new StringBuilder();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (answer.length() == 0 || answer.charAt(answer.length() - 1) != '\n') {
            buf.clear();
            if (ch.read(buf) < 0) {
                throw new IOException("idcoord closed the connection");
            }
            buf.flip();
            answer.append(StandardCharsets.US_ASCII.decode(buf));
        }
        String line = answer.toString().strip();
        if (line.startsWith("ERR ")) { // ERR UNAVAILABLE|BADREQUEST|TOOMANY <reason>
            throw new IOException(line);
        }
        String[] fields = line.split(" ");
        long[] ids = new long[fields.length];
        for (int i = 0; i < fields.length; i++) {
            ids[i] = Long.parseLong(fields[i]);
        }
        return ids;
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: java NextId.java SOCKET");
            System.exit(2);
        }
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(args[0]);
        // Keep the channel open and reuse it: requests may follow one another on it.
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(address);
            for (long id : nextIds(ch, 3)) {
                System.out.println(id);
            }
        } catch (IOException e) {
            System.err.println("NextId: " + args[0] + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
