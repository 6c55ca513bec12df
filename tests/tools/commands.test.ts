// Every npm script's command (tools/commands/) answers --help with its usage, and a mistaken
// option with one line naming it and a non-zero exit, never a stack trace.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { root, runTool } from "./run-tool.ts";

const commands = readdirSync(path.join(root, "tools", "commands"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.replace(/\.ts$/, ""));

describe.concurrent("the course's commands", () => {
  it("are the files the npm scripts run: tools/commands/ is the list of commands", () => {
    const { scripts } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    const run = new Set(
      Object.values(scripts).flatMap((command) =>
        [...command.matchAll(/tools\/commands\/([\w-]+)\.ts/g)].map((m) => m[1]),
      ),
    );
    expect([...run].sort()).toEqual([...commands].sort());
  });

  for (const command of commands)
    it(`${command}: --help prints the usage; an unknown option is one line and a non-zero exit`, async () => {
      const help = await runTool(command, ["--help"]);
      expect(help.code, help.out).toBe(0);
      expect(help.out).toMatch(/usage: npm run /);
      const wrong = await runTool(command, ["--no-such-option"]);
      expect(wrong.code, wrong.out).not.toBe(0);
      expect(wrong.out.split("\n")[0]).toMatch(/--no-such-option/);
      expect(wrong.out, "no stack trace").not.toMatch(/\n\s+at .*:\d+:\d+/);
    }, 30_000);
});
