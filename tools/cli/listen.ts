// Starts an HTTP server on loopback unless told otherwise: what it serves is for this machine.
import type { Server } from "node:http";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** Listens on host:port, prints where, and warns when the server is reachable from other machines. */
export function listen(server: Server, host: string, port: number, what: string): Promise<void> {
  if (!LOOPBACK.has(host))
    console.warn(
      `warning: listening on ${host}, so other machines on your network can reach ${what}. Use --host 127.0.0.1 to keep it to this computer.`,
    );
  return new Promise((resolve) =>
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === "object" && address ? address.port : port;
      const shown = host.includes(":") ? `[${host}]` : host;
      console.log(`serving ${what} at http://${shown}:${actual} (Ctrl+C to stop)`);
      resolve();
    }),
  );
}
