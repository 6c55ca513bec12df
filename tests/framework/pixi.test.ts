// pixi only provides the programs; the course's commands are npm scripts run inside it
// (`pixi run npm run s13`), so nothing here repeats package.json's list of scripts.
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { expect, it } from "vitest";

const root = new URL("../../", import.meta.url);
const pixi = parse(readFileSync(new URL("pixi.toml", root), "utf8")) as {
  tasks: Record<string, string | { cmd: string }>;
  dependencies: Record<string, string>;
};

it("every pixi task calls npm", () => {
  for (const [task, value] of Object.entries(pixi.tasks)) {
    const command = typeof value === "string" ? value : value.cmd;
    expect(command, `pixi task "${task}"`).toMatch(/^npm (ci|test|run [\w:-]+)$/);
  }
});

it("pixi provides nodejs and mdbook", () => {
  expect(Object.keys(pixi.dependencies)).toEqual(expect.arrayContaining(["nodejs", "mdbook"]));
});
