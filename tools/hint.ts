// `npm run hint -- NN [K]`: hint K (default 1) of step NN; each one gives more away.
import { STEPS, findStep } from "./curriculum.ts";
import { formatHint } from "./runner/hints.ts";

const [stepArg, kArg = "1"] = process.argv.slice(2);
const step = findStep(stepArg);
if (!step || !/^\d+$/.test(kArg)) {
  console.error(
    `usage: npm run hint -- NN [K]   (NN is one of ${STEPS.map((s) => s.nn).join(", ")}; K is the hint number, from 1)`,
  );
  process.exit(2);
}
console.log(formatHint(step.nn, Number(kArg)));
