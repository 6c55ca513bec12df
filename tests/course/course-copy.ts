// A copy of the course in a temporary folder whose steps/step_NN.ts is the reference solution
// with an edit: the learner's classic mistakes, made on purpose, for the checker's own tests.
import { cpSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "../temp-dir.ts";
import { stepPaths } from "../../tools/curriculum.ts";
import { root, runTool } from "../tools/run-tool.ts";

/** One change to a file's text: `find` (a string, or a regular expression's source and flags) becomes `replace`. */
export type Edit = [find: string | { regex: string; flags?: string }, replace: string];

/** The reference solution of step `nn` as a learner's step file: earlier steps come through #chain. */
export function solutionAsStep(nn: string, dir = root): string {
  return readFileSync(path.join(dir, stepPaths(nn).solution), "utf8").replace(
    /from "\.\/solution_(\d\d)\.ts"/g,
    'from "#chain/step_$1"',
  );
}

/** `text` with every edit applied; an edit that finds nothing is an error in the test, not a mistake caught. */
export function applyEdits(text: string, edits: readonly Edit[], nn: string): string {
  return edits.reduce((out, [find, replace]) => {
    const pattern = typeof find === "string" ? find : new RegExp(find.regex, find.flags);
    if (typeof pattern === "string" ? !out.includes(pattern) : !pattern.test(out))
      throw new Error(`the edit ${String(pattern)} does not apply to ${stepPaths(nn).solution}`);
    if (pattern instanceof RegExp) pattern.lastIndex = 0;
    return out.replace(pattern, replace);
  }, text);
}

/**
 * A copy of the course (steps/ as untouched skeletons), sharing this checkout's node_modules;
 * removed when the test that made it finishes.
 */
export function plainCourseCopy(): string {
  const work = tempDir("check-mistake");
  for (const entry of [
    "lib",
    "steps",
    "solutions",
    "tests",
    "tools",
    "book",
    "package.json",
    "tsconfig.json",
    "vitest.config.ts",
  ])
    cpSync(path.join(root, entry), path.join(work, entry), { recursive: true });
  symlinkSync(path.join(root, "node_modules"), path.join(work, "node_modules"));
  return work;
}

/** The reference solution of step `nn` with one edit, written as the learner's step in a copy of the course, then checked. */
export async function checkMistake(nn: string, find: string | RegExp, replace: string) {
  return runTool("check", [nn], { cwd: courseCopy(nn, find, replace) });
}

/** A copy of the course whose steps/step_NN.ts is the reference solution with one edit. */
export function courseCopy(nn: string, find: string | RegExp, replace: string): string {
  const work = plainCourseCopy();
  const edit: Edit = [typeof find === "string" ? find : { regex: find.source, flags: find.flags }, replace];
  writeFileSync(path.join(work, stepPaths(nn).step), applyEdits(solutionAsStep(nn), [edit], nn));
  return work;
}

/** Type errors of the solution of step `nn` with one edit, written as the learner's step. */
export async function typeCheckMistake(nn: string, find: string, replace: string): Promise<string[]> {
  const work = courseCopy(nn, find, replace);
  const { typeErrors } = await import("../../tools/runner/typecheck.ts"); // TypeScript loads slowly: only here
  return typeErrors(stepPaths(nn).step, work);
}
