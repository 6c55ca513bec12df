// Starts an HTTP server on loopback unless told otherwise: what it serves is for this machine.
import type { Server } from "node:http";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** Listens on host:port, prints where, and warns when the server is reachable from other machines. */
export function listen(server: Server, host: string, port: number, what: string): Promise<void> {
  if (!LOOPBACK.has(host))
    console.warn(
      `warning: listening on ${host}, so other machines on your network can reach ${what}. Use --host 127.0.0.1 to keep it to this computer.`,
    );
  return new Promise((resolve) => {
    // A port in use or an address this machine does not have: one line and exit 1, not a trace.
    server.once("error", (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "EADDRINUSE"
          ? `port ${port} is already in use (another server?): choose another with --port N, or --port 0 for any free one`
          : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND"
            ? `this machine has no address ${host}: use --host 127.0.0.1`
            : error.code === "EACCES"
              ? `not allowed to listen on port ${port} (ports below 1024 need privileges): choose another with --port N`
              : error.message;
      console.error(`cannot listen on ${host}:${port}: ${why}`);
      process.exit(1);
    });
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === "object" && address ? address.port : port;
      const shown = host.includes(":") ? `[${host}]` : host;
      console.log(`serving ${what} at http://${shown}:${actual} (Ctrl+C to stop)`);
      resolve();
    });
  });
}
