import { connect, createServer, type Server, type Socket } from "node:net";

/** A TCP proxy in front of a server (PostgreSQL), that a test can cut to make the server unreachable. */
export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones, as a server that went away. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  /**
   * Called with each chunk a client sends: true drops that connection (both ends) instead of
   * passing the chunk on, as a network fault landing at that very message.
   */
  dropOn?: (chunk: Buffer) => boolean;
}

export async function startTcpProxy(target: { host: string; port: number }, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const listening = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => {});
        }
        const { dropOn } = options;
        if (dropOn) {
          client.on("data", (chunk: Buffer) => {
            if (!dropOn(chunk)) return void upstream.write(chunk);
            client.destroy();
            upstream.destroy();
          });
          upstream.pipe(client);
        } else {
          client.pipe(upstream).pipe(client);
        }
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
      });
      server = listening;
      listening.once("error", reject);
      listening.listen(port, "127.0.0.1", () => {
        const address = listening.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  const stop = async () => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  const port = await listen(0);
  return { port, cut: stop, restore: async () => void (await listen(port)), close: stop };
}
