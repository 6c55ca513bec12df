// pixi only provides the programs; its tasks run the course's npm scripts (written by npm run
// sync, which a test keeps current), so `pixi run s13` is `npm run s13`.
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { expect, it } from "vitest";
import { STEPS } from "../../tools/curriculum.ts";

const root = new URL("../../", import.meta.url);
const pixi = parse(readFileSync(new URL("pixi.toml", root), "utf8")) as {
  tasks: Record<string, string | { cmd: string }>;
  dependencies: Record<string, string>;
};

it("every pixi task calls npm", () => {
  for (const [task, value] of Object.entries(pixi.tasks)) {
    const command = typeof value === "string" ? value : value.cmd;
    expect(command, `pixi task "${task}"`).toMatch(/^npm (ci|test|run [\w:-]+ --)$/);
  }
});

it("every step has its pixi task, as the MAX book's readers type it (pixi run s13)", () => {
  for (const step of STEPS) expect(pixi.tasks[`s${step.nn}`], `pixi task s${step.nn}`).toBe(`npm run s${step.nn} --`);
});

it("pixi provides nodejs and mdbook", () => {
  expect(Object.keys(pixi.dependencies)).toEqual(expect.arrayContaining(["nodejs", "mdbook"]));
});
