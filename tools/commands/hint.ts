// `npm run hint -- NN [K]`: hint K (default 1) of step NN; each one gives more away.
import { STEPS, findStep } from "../curriculum.ts";
import { UsageError, parseCommand } from "../cli/options.ts";
import { formatHint } from "../runner/hints.ts";

const { step, k } = parseCommand(
  {
    usage: "npm run hint -- NN [K]",
    options: {},
    positionals: true,
    notes: `NN is one of ${STEPS.map((s) => s.nn).join(", ")}; K is the hint number, from 1 (each gives more away)`,
  },
  process.argv.slice(2),
  ({ positionals: [stepArg, kArg = "1", ...rest] }) => {
    const step = findStep(stepArg);
    if (!step || !/^\d+$/.test(kArg) || rest.length)
      throw new UsageError(`which step and hint? got ${JSON.stringify([stepArg, kArg, ...rest].join(" "))}`);
    return { step, k: Number(kArg) };
  },
);
console.log(formatHint(step.nn, k));
