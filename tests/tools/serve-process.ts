// Starts `npm run serve` (tools/commands/serve.ts) on a free port for a test and stops it afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import { root } from "./run-tool.ts";

export class ServeProcess {
  output = "";
  url = "";
  private child: ChildProcess;

  private constructor(args: string[], cwd: string) {
    this.child = spawn(process.execPath, ["--import", "tsx", "tools/commands/serve.ts", ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
    });
    this.child.stdout!.on("data", (d) => (this.output += d));
    this.child.stderr!.on("data", (d) => (this.output += d));
  }

  /** A server on a free port, run in `cwd` (a copy of the course, say); resolves once it says where it listens. */
  static async start(
    args: string[] = ["--model", "tests/fixtures/tiny-gpt2", "--port", "0"],
    cwd = root,
  ): Promise<ServeProcess> {
    const server = new ServeProcess(args, cwd);
    const match = await server.waitFor(/at (http:\/\/\S+) \(Ctrl\+C/);
    server.url = match[1];
    return server;
  }

  async waitFor(pattern: RegExp, timeout = 30_000): Promise<RegExpExecArray> {
    const start = Date.now();
    for (;;) {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (Date.now() - start > timeout)
        throw new Error(`timed out waiting for ${pattern}; the server said:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  stop(): void {
    this.child.kill();
  }
}
