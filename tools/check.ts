// `npm run sNN [-- --solution] [-- --chain=mine]`: runs step NN's checks, one line per check.
// --solution checks solutions/solution_NN.ts; --chain=mine takes the earlier steps NN builds on
// from your steps/ instead of solutions/. Exit code 0 only when every check passes.
import { STEPS, findStep } from "./curriculum.ts";
import { green, red } from "./colors.ts";
import { checkStep } from "./runner/checks.ts";
import { typeErrors } from "./runner/typecheck.ts";

const args = process.argv.slice(2);
const step = findStep(args.find((a) => !a.startsWith("--")));
const unknown = args.filter((a) => a.startsWith("--") && a !== "--solution" && a !== "--chain=mine" && a !== "--chain=reference");
if (!step || unknown.length) {
  console.error(`${unknown.length ? `unknown option ${unknown[0]}\n` : ""}usage: npm run check -- NN [--solution] [--chain=mine]   (NN is one of ${STEPS.map((s) => s.nn).join(", ")})`);
  process.exit(2);
}
const solution = args.includes("--solution");
const { failed } = await checkStep(step, { solution, chain: args.includes("--chain=mine") ? "mine" : "reference" });
// After the verdict, so the verdict comes first: what `npm run typecheck` would say about this file.
const file = solution ? `solutions/solution_${step.nn}.ts` : `steps/step_${step.nn}.ts`;
const errors = typeErrors(file);
if (errors.length) {
  console.log(`${red("✘")} types: ${errors.length} type error${errors.length > 1 ? "s" : ""} in ${file} (npm run typecheck fails until ${errors.length > 1 ? "they are" : "it is"} fixed)`);
  for (const error of errors) console.log(`    ${error}`);
} else console.log(`${green("✔")} types: ${file} type-checks`);
process.exit(failed > 0 ? 1 : 0);
