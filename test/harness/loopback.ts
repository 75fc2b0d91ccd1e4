import type { Server } from 'node:http';

/** Starts a local endpoint of the harness on 127.0.0.1, on a free port. */
export function listenOnLoopback(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

/** Stops it, dropping the connections still open (a client the test left hanging, or kept alive). */
export function stopListening(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
