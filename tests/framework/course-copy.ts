// A copy of the course in a temporary folder whose steps/step_NN.ts is the reference solution
// with one edit: the learner's classic mistakes, made on purpose, for the checker's own tests.
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { typeErrors } from "../../tools/runner/typecheck.ts";
import { root, runTool } from "./run-tool.ts";

/** The reference solution of step `nn` with one edit, written as the learner's step in a copy of the course, then checked. */
export async function checkMistake(nn: string, find: string | RegExp, replace: string) {
  return runTool("check", [nn], { cwd: courseCopy(nn, find, replace) });
}

/** A copy of the course whose steps/step_NN.ts is the reference solution with one edit. */
export function courseCopy(nn: string, find: string | RegExp, replace: string): string {
  const work = mkdtempSync(path.join(tmpdir(), "check-mistake-"));
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
  const solution = readFileSync(path.join(root, "solutions", `solution_${nn}.ts`), "utf8").replace(
    /from "\.\/solution_(\d\d)\.ts"/g,
    'from "#chain/step_$1"',
  );
  if (typeof find === "string" ? !solution.includes(find) : !find.test(solution))
    throw new Error(`the edit ${find} does not apply to solution_${nn}.ts`);
  const wrong = solution.replace(find, replace);
  writeFileSync(path.join(work, "steps", `step_${nn}.ts`), wrong);
  return work;
}

/** Type errors of the solution of step `nn` with one edit, written as the learner's step. */
export async function typeCheckMistake(nn: string, find: string, replace: string): Promise<string[]> {
  const work = courseCopy(nn, find, replace);
  return typeErrors(`steps/step_${nn}.ts`, work);
}
