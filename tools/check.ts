// `npm run sNN [-- --solution]`: runs step NN's checks and prints one line per check.
// Exit code 0 only when every check passes.
import { startVitest } from "vitest/node";
import { STEPS, findStep } from "./curriculum.ts";
import { StepReporter } from "./reporters.ts";

const args = process.argv.slice(2);
const useSolution = args.includes("--solution");
const step = findStep(args.find((a) => !a.startsWith("--")));
if (!step) {
  console.error(`usage: npm run check -- NN [--solution]   (NN is one of ${STEPS.map((s) => s.nn).join(", ")})`);
  process.exit(2);
}

const file = useSolution ? `solutions/solution_${step.nn}.ts` : `steps/step_${step.nn}.ts`;
const reporter = new StepReporter(`Step ${step.nn} · ${step.title}  (checking ${file})`);
const vitest = await startVitest("test", [`tests/step_${step.nn}.test.ts`], {
  watch: false,
  project: useSolution ? "solutions" : "steps",
  reporters: [reporter],
});
await vitest?.close();
process.exit(!vitest || reporter.failed > 0 ? 1 : 0);
