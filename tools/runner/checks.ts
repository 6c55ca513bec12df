// Runs step checks in this process (without vitest), for the checker, watch mode and the progress table.
import { StepReporter } from "../reporters.ts";
import { runChecks } from "./inprocess.ts";
import { STEPS, type StepInfo } from "../curriculum.ts";

export type Chain = "reference" | "mine";
export type Status = "passed" | "failing" | "not started";

export interface StepOutcome {
  nn: string;
  status: Status;
  passed: number;
  total: number;
}

/** Earlier steps come from solutions/ ("reference") or from your own steps/ ("mine"). */
function useChain(chain: Chain): void {
  if (chain === "mine") process.env.GPT2_CHAIN = "mine";
  else delete process.env.GPT2_CHAIN;
}

/** Runs one step's checks with the learner-facing reporter (one line per check), in this process. */
export async function checkStep(step: StepInfo, options: { solution?: boolean; chain?: Chain; write?: (line: string) => void } = {}): Promise<StepOutcome & { failed: number }> {
  useChain(options.chain ?? "reference");
  const file = options.solution ? `solutions/solution_${step.nn}.ts` : `steps/step_${step.nn}.ts`;
  // Solutions import solutions directly, so the chain only changes what a step file imports.
  const chainNote = options.chain === "mine" && !options.solution ? ", earlier steps from your steps/" : "";
  const reporter = new StepReporter(`Step ${step.nn} · ${step.title}  (checking ${file}${chainNote})`, options.write);
  const run = await runChecks(step, options.solution ? "solutions" : "steps", reporter);
  return { ...outcome(step.nn, run), failed: reporter.failed };
}

/** Classifies a step's results: all pass, all fail with "not implemented" (untouched), or in between. */
function outcome(nn: string, { outcomes, loadFailed }: Awaited<ReturnType<typeof runChecks>>): StepOutcome {
  if (loadFailed) return { nn, status: "failing", passed: 0, total: 0 };
  const passed = outcomes.filter((o) => o.errors.length === 0).length;
  const untouched = passed === 0 && outcomes.every((o) => o.errors.some((e) => /not implemented yet/.test(e)));
  const status: Status = passed === outcomes.length ? "passed" : untouched ? "not started" : "failing";
  return { nn, status, passed, total: outcomes.length };
}

/** Runs the checks of several steps quietly and classifies each. */
export async function surveySteps(steps: readonly StepInfo[] = STEPS, chain: Chain = "reference"): Promise<StepOutcome[]> {
  useChain(chain);
  const outcomes: StepOutcome[] = [];
  for (const step of steps) outcomes.push(outcome(step.nn, await runChecks(step, "steps")));
  return outcomes;
}
