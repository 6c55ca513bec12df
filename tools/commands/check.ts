// `npm run sNN [-- --solution] [-- --chain=mine]`: runs step NN's checks, one line per check.
// --solution checks solutions/solution_NN.ts; --chain=mine takes the earlier steps NN builds on
// from your steps/ instead of solutions/. Exit code 0 only when every check passes.
import { STEPS, findStep, stepPaths } from "../curriculum.ts";
import { UsageError, chosenChain, parseCommand } from "../cli/options.ts";
import { dim, green, red } from "../cli/colors.ts";
import { checkStep, surveySteps } from "../runner/checks.ts";
import { cached, readProgress, record, writeProgress } from "../runner/state.ts";

const { step, solution, chain } = parseCommand(
  {
    usage: "npm run check -- NN [options]   (npm run sNN is the same)",
    options: {
      solution: { type: "boolean", help: "check solutions/solution_NN.ts instead of your step" },
      chain: { type: "string", default: "reference", value: "mine", help: "mine: earlier steps from your steps/" },
    },
    positionals: true,
    notes: `NN is one of ${STEPS.map((s) => s.nn).join(", ")}`,
  },
  process.argv.slice(2),
  ({ values, positionals }) => {
    const step = findStep(positionals[0]);
    if (!step || positionals.length > 1)
      throw new UsageError(`which step? got ${JSON.stringify(positionals.join(" "))}`);
    return { step, solution: values.solution, chain: chosenChain(values.chain) };
  },
);
const result = await checkStep(step, { solution, chain });
const { failed } = result;
// What the learner just saw is what npm run progress and watch show (solutions are not their progress).
if (!solution) {
  const progress = readProgress();
  if (chain === "reference") record(progress, result);
  // On your own chain, a failure may come from any earlier step: name every one not passing yet, once.
  if (chain === "mine" && failed > 0) {
    const earlier = STEPS.filter((s) => s.nn < step.nn);
    const unknown = earlier.filter((s) => !cached(progress, s.nn));
    if (unknown.length)
      console.log(dim(`(checking your steps ${unknown.map((s) => s.nn).join(", ")} to see which are unfinished…)`));
    for (const outcome of unknown.length ? await surveySteps(unknown) : []) record(progress, outcome);
    const open = earlier.filter((s) => cached(progress, s.nn)?.status !== "passed");
    if (open.length) {
      console.log(
        `--chain=mine: step ${step.nn} runs on your steps 01–${earlier.at(-1)!.nn}; not passing yet: ${open.map((s) => s.nn).join(", ")}.`,
      );
      console.log(`Start with step ${open[0].nn}: read ${stepPaths(open[0].nn).chapter}, then npm run s${open[0].nn}.`);
    }
  }
  writeProgress(progress);
}
// After the verdict, so the verdict comes first: what `npm run typecheck` would say about this file.
const file = stepPaths(step.nn)[solution ? "solution" : "step"];
const { typeErrors } = await import("../runner/typecheck.ts"); // TypeScript takes a moment to load: after the verdict
const errors = typeErrors(file);
if (errors.length) {
  console.log(
    `${red("✘")} types: ${errors.length} type error${errors.length > 1 ? "s" : ""} in ${file} (npm run typecheck fails until ${errors.length > 1 ? "they are" : "it is"} fixed)`,
  );
  for (const error of errors) console.log(`    ${error}`);
} else console.log(`${green("✔")} types: ${file} type-checks`);
process.exit(failed > 0 ? 1 : 0);
