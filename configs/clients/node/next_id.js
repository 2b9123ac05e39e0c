// Asks an idcoord sidecar for 3 IDs and prints them, one per line.
//   node next_id.js /run/idcoord/idcoord.sock
// IDs stay strings (or become BigInt): a JavaScript number loses integers
// above 2^53.
'use strict';
const net = require('net');

// nextIds sends one line-protocol request on a connected socket and resolves
// to n IDs as strings.
function nextIds(sock, n) {
  return new Promise((resolve, reject) => {
    let answer = '';
    const onClose = () => reject(new Error('idcoord closed the connection'));
    const onData = (chunk) => {
      answer += chunk;
      if (!answer.endsWith('\n')) return;
      sock.off('data', onData);
      sock.off('close', onClose);
      const line = answer.trimEnd();
      if (line.startsWith('ERR ')) reject(new Error(line)); // ERR UNAVAILABLE|BADREQUEST|TOOMANY <reason>
      else resolve(line.split(' '));
    };
    sock.on('data', onData);
    sock.once('close', onClose);
    sock.write(`${n}\n`);
  });
}

if (process.argv.length !== 3) {
  console.error('usage: node next_id.js SOCKET');
  process.exit(2);
}
const socketPath = process.argv[2];
const sock = net.createConnection({ path: socketPath });
sock.setEncoding('ascii');
sock.setTimeout(5000, () => sock.destroy(new Error('idcoord did not answer in 5s')));
sock.on('error', (err) => {
  console.error(`next_id: ${socketPath}: ${err.message}`);
  process.exitCode = 1;
});
sock.on('connect', async () => {
  // Keep the connection open and reuse it: requests may follow one another on it.
  const ids = await nextIds(sock, 3).catch((err) => sock.destroy(err));
  if (Array.isArray(ids)) {
    for (const id of ids) console.log(id);
    sock.end();
  }
});
