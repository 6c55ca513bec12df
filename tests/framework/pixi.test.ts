// pixi.toml mirrors package.json's scripts: `pixi run X` must do what `npm run X` does.
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { expect, it } from "vitest";

const root = new URL("../../", import.meta.url);
const scripts = Object.keys(JSON.parse(readFileSync(new URL("package.json", root), "utf8")).scripts as Record<string, string>);
const pixi = parse(readFileSync(new URL("pixi.toml", root), "utf8")) as { tasks: Record<string, string>; dependencies: Record<string, string> };

it("every pixi task runs the npm script of the same name", () => {
  for (const [task, command] of Object.entries(pixi.tasks)) {
    const expected = task === "test" ? "npm test" : `npm run ${task}`;
    expect(command, `pixi task "${task}"`).toBe(expected);
    expect(scripts, `pixi task "${task}" has no npm script`).toContain(task);
  }
});

it("every npm script has a pixi task", () => {
  expect(Object.keys(pixi.tasks).sort()).toEqual([...scripts].sort());
});

it("pixi provides nodejs and mdbook", () => {
  expect(Object.keys(pixi.dependencies)).toEqual(expect.arrayContaining(["nodejs", "mdbook"]));
});
