/** A local SMTP sink in its own process (so it does not share the bench's JavaScript thread); reports counts over IPC. */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

let received = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  onData(stream, _session, callback) {
    stream.on("end", () => {
      received++;
      callback();
    });
    stream.resume();
  },
});
server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.server.address() as AddressInfo).port });
});
process.on("message", (message: { ask?: string }) => {
  if (message.ask === "count") process.send?.({ count: received });
  if (message.ask === "close") server.close(() => process.exit(0));
});
