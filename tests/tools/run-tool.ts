// Runs one of tools/*.ts as a learner would (node with tsx), without a terminal, and collects
// what it prints. Asynchronous, so a test can serve HTTP to the tool from its own process.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../", import.meta.url));

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together. */
  out: string;
}

export function runTool(
  tool: string,
  args: string[] = [],
  { cwd = root, env = {} }: { cwd?: string; env?: Record<string, string> } = {},
): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", `tools/commands/${tool}.ts`, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr, out: stdout + stderr }));
  });
}
