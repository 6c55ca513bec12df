// Makes several mistakes in one step of a copy of the course, one after the other, and prints
// what `npm run sNN` says about each (as JSON). Run inside the copy (tests/course/course-copy.ts):
//   node --import tsx tests/course/mistake-runner.ts NN mistakes.json
// One process checks them all: each check run imports the step file afresh, as watch mode does,
// so a dozen mistakes cost about as much as one `npm run sNN`.
import { readFileSync, writeFileSync } from "node:fs";
import { findStep, stepPaths } from "../../tools/curriculum.ts";
import { checkStep } from "../../tools/runner/checks.ts";
import { applyEdits, type Edit, solutionAsStep } from "./course-copy.ts";

const [nn, file] = process.argv.slice(2);
const step = findStep(nn)!;
const mistakes = JSON.parse(readFileSync(file, "utf8")) as Edit[][];
const reference = solutionAsStep(nn, process.cwd());
const outputs: string[] = [];
for (const edits of mistakes) {
  writeFileSync(stepPaths(nn).step, applyEdits(reference, edits, nn));
  const lines: string[] = [];
  await checkStep(step, { write: (line) => lines.push(line) });
  outputs.push(lines.join("\n"));
}
process.stdout.write(JSON.stringify(outputs));
