import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface DelayingProxy {
  /** The database URL through the proxy. */
  url: string;
  /** Holds each connection opened from now on for `ms` before it reaches the database (0: none). */
  delayNewConnections(ms: number): void;
  close(): void;
}

/** A TCP proxy to the database that can hold new connections back for a while: a slow network on one side. */
export async function delayingProxy(target: URL): Promise<DelayingProxy> {
  let delayMs = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.pause();
    setTimeout(() => {
      const upstream = createConnection(Number(target.port), target.hostname);
      sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      const end = (): void => void (client.destroy(), upstream.destroy());
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(target);
  proxied.port = String((server.address() as { port: number }).port);
  return {
    url: proxied.toString(),
    delayNewConnections: (ms) => void (delayMs = ms),
    close() {
      sockets.forEach((socket) => socket.destroy());
      server.close();
    },
  };
}
