// The course's structure: one list of steps, and "#chain/step_NN" choosing whose earlier steps run.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { STEPS } from "../../tools/curriculum.ts";
import { staleFiles } from "../../tools/commands/sync.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

it("package.json's sNN scripts, SUMMARY.md and the introduction's table match tools/curriculum.ts (npm run sync)", () => {
  expect(staleFiles().map((s) => s.file)).toEqual([]);
});

it("has a step file, a solution, hints, checks and a chapter for every step in the list, and no others", () => {
  const numbers = (dir: string, pattern: RegExp) =>
    readdirSync(root + dir)
      .flatMap((f) => pattern.exec(f)?.[1] ?? [])
      .sort();
  const nns = STEPS.map((s) => s.nn);
  expect(numbers("steps", /^step_(\d\d)\.ts$/)).toEqual(nns);
  expect(numbers("steps", /^step_(\d\d)\.hints\.md$/)).toEqual(nns);
  expect(numbers("solutions", /^solution_(\d\d)\.ts$/)).toEqual(nns);
  expect(numbers("tests", /^step_(\d\d)\.test\.ts$/)).toEqual(nns);
  expect(numbers("book/src", /^step_(\d\d)\.md$/)).toEqual(nns);
});

it("no step file points the learner at solutions/: earlier steps come through #chain/step_NN", () => {
  for (const step of STEPS) {
    const text = readFileSync(`${root}steps/step_${step.nn}.ts`, "utf8");
    expect(text, `steps/step_${step.nn}.ts`).not.toMatch(/from "[^"]*solutions\//);
  }
});

it("#chain/step_NN is the reference solution by default and your step under --conditions=mine", () => {
  const resolve = (...flags: string[]) =>
    execFileSync(
      process.execPath,
      [
        ...flags,
        "--import",
        "tsx",
        "--input-type=module",
        "--eval",
        'console.log(import.meta.resolve("#chain/step_12"))',
      ],
      { cwd: root, encoding: "utf8" },
    ).trim();
  expect(resolve()).toMatch(/\/solutions\/solution_12\.ts$/);
  expect(resolve("--conditions=mine")).toMatch(/\/steps\/step_12\.ts$/);
});
