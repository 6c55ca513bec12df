// Runs step checks in-process with vitest, for the checker, watch mode and the progress table.
import { startVitest } from "vitest/node";
import type { Reporter, TestModule } from "vitest/node";
import { StepReporter } from "../reporters.ts";
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

/** Runs one step's checks with the learner-facing reporter (one line per check). */
export async function checkStep(step: StepInfo, options: { solution?: boolean; chain?: Chain; write?: (line: string) => void } = {}): Promise<StepOutcome & { failed: number }> {
  useChain(options.chain ?? "reference");
  const file = options.solution ? `solutions/solution_${step.nn}.ts` : `steps/step_${step.nn}.ts`;
  // Solutions import solutions directly, so the chain only changes what a step file imports.
  const chainNote = options.chain === "mine" && !options.solution ? ", earlier steps from your steps/" : "";
  const reporter = new StepReporter(`Step ${step.nn} · ${step.title}  (checking ${file}${chainNote})`, options.write);
  let modules: ReadonlyArray<TestModule> = [];
  const collector: Reporter = { onTestRunEnd: (m) => void (modules = m) };
  const vitest = await startVitest("test", [`tests/step_${step.nn}.test.ts`], { watch: false, project: options.solution ? "solutions" : "steps", reporters: [reporter, collector] });
  await vitest?.close();
  return { ...outcome(step.nn, modules[0]), failed: vitest ? reporter.failed : 1 };
}

/** Classifies a step's results: all pass, all fail with "not implemented" (untouched), or in between. */
function outcome(nn: string, module: TestModule | undefined): StepOutcome {
  if (!module || module.errors().length) return { nn, status: "failing", passed: 0, total: 0 };
  const tests = [...module.children.allTests()];
  const passed = tests.filter((t) => t.result().state === "passed").length;
  const untouched = passed === 0 && tests.every((t) => (t.result().errors ?? []).some((e) => /not implemented yet/.test(e.message ?? "")));
  const status: Status = passed === tests.length ? "passed" : untouched ? "not started" : "failing";
  return { nn, status, passed, total: tests.length };
}

/** Runs the checks of several steps quietly, in one vitest run, and classifies each. */
export async function surveySteps(steps: readonly StepInfo[] = STEPS, chain: Chain = "reference"): Promise<StepOutcome[]> {
  useChain(chain);
  let modules: ReadonlyArray<TestModule> = [];
  const collector: Reporter = { onTestRunEnd: (m) => void (modules = m) };
  const vitest = await startVitest("test", steps.map((s) => `tests/step_${s.nn}.test.ts`), { watch: false, project: "steps", reporters: [collector] });
  await vitest?.close();
  process.exitCode = 0; // a failing step is a result here, not an error of this tool
  return steps.map((s) => outcome(s.nn, modules.find((m) => m.moduleId.endsWith(`tests/step_${s.nn}.test.ts`))));
}
