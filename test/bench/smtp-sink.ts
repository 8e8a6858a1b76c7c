/**
 * A local SMTP sink in its own process; reports counts over IPC. It stands in for the provider,
 * whose CPU is not Rekindle's: it speaks just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
 * QUIT) with canned replies and counts each message at the end of its DATA, so on a 2-core machine
 * it takes as little as possible from the processes under measurement. The tests use smtp-server.
 */
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

let received = 0;
const END_OF_DATA = "\r\n.\r\n";

function session(socket: Socket): void {
  socket.setNoDelay(true);
  let inData = false;
  let line = "";
  let tail = "";
  socket.write("220 sink ESMTP\r\n");
  socket.on("data", (chunk: Buffer) => {
    let text = chunk.toString("latin1");
    while (text.length > 0) {
      if (inData) {
        const seen = tail + text;
        const end = seen.indexOf(END_OF_DATA);
        if (end < 0) {
          tail = seen.slice(-4);
          return;
        }
        received++;
        inData = false;
        tail = "";
        socket.write("250 2.0.0 queued\r\n");
        text = seen.slice(end + END_OF_DATA.length);
        continue;
      }
      const newline = text.indexOf("\r\n");
      if (newline < 0) {
        line += text;
        return;
      }
      const command = (line + text.slice(0, newline)).slice(0, 4).toUpperCase();
      line = "";
      text = text.slice(newline + 2);
      if (command === "EHLO") socket.write("250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
      else if (command === "DATA") {
        inData = true;
        // The terminator may follow the first body line directly: "\r\n" before it is the end of DATA's own line.
        tail = "\r\n";
        socket.write("354 go ahead\r\n");
      } else if (command === "QUIT") {
        socket.end("221 bye\r\n");
        return;
      } else socket.write("250 ok\r\n");
    }
  });
  socket.on("error", () => socket.destroy());
}

const server = createServer(session);
server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on("message", (message: { ask?: string }) => {
  if (message.ask === "count") process.send?.({ count: received });
  if (message.ask === "close") {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  }
});
