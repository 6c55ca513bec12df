// Runs step checks in this process (without vitest), for the checker, watch mode and the progress table.
import { fork } from "node:child_process";
import { StepReporter } from "./reporters.ts";
import { runChecks, type CheckListener, type CheckRun } from "./inprocess.ts";
import { STEPS, stepPaths, type StepInfo } from "../curriculum.ts";
import { activeChain, nodeOptionsFor, type Chain } from "./chain.ts";

export type { Chain };
export type Status = "passed" | "failing" | "not started";

export interface StepOutcome {
  nn: string;
  status: Status;
  passed: number;
  total: number;
}

/**
 * Runs a step's checks on `chain`: in this process when it runs on that chain, else in a child
 * process started on it (tools/runner/chain-child.ts), whose reporter events come back here.
 * A child also reads every step file afresh, which an ES module cache in this process would not.
 */
function runChecksOn(
  step: StepInfo,
  target: "steps" | "solutions",
  chain: Chain,
  listener?: CheckListener,
): Promise<CheckRun> {
  if (activeChain() === chain) return runChecks(step, target, listener);
  const child = fork(new URL("./chain-child.ts", import.meta.url), [step.nn, target], nodeOptionsFor(chain));
  return new Promise((resolve, reject) => {
    let run: CheckRun | undefined;
    child.on("message", (message: ChildMessage) => {
      if ("run" in message) run = message.run;
      else if (message.event === "begin") listener?.begin();
      else if (message.event === "check") listener?.check(...message.args);
      else if (message.event === "loadError") listener?.loadError(...message.args);
      else listener?.end({ ...message.tally, skipped: new Map() });
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      run ? resolve(run) : reject(new Error(`the checks of step ${step.nn} on your chain stopped (exit code ${code})`)),
    );
  });
}

/** What tools/runner/chain-child.ts sends: reporter events, then the run's outcome. */
export type ChildMessage =
  | { event: "begin" }
  | { event: "check"; args: Parameters<CheckListener["check"]> }
  | { event: "loadError"; args: Parameters<CheckListener["loadError"]> }
  | { event: "end"; tally: { passed: number; failed: number } }
  | { run: CheckRun };

/** Runs one step's checks with the learner-facing reporter (one line per check), in this process. */
export async function checkStep(
  step: StepInfo,
  options: { solution?: boolean; chain?: Chain; write?: (line: string) => void } = {},
): Promise<StepOutcome & { failed: number }> {
  const file = stepPaths(step.nn)[options.solution ? "solution" : "step"];
  // Solutions import solutions directly, so the chain only changes what a step file imports.
  const chainNote = options.chain === "mine" && !options.solution ? ", earlier steps from your steps/" : "";
  const reporter = new StepReporter(`Step ${step.nn} · ${step.title}  (checking ${file}${chainNote})`, options.write);
  const run = await runChecksOn(step, options.solution ? "solutions" : "steps", options.chain ?? "reference", reporter);
  return { ...outcome(step.nn, run), failed: reporter.failed };
}

/** Classifies a step's results: all pass, all fail with "not implemented" (untouched), or in between. */
function outcome(nn: string, { outcomes, loadFailed }: CheckRun): StepOutcome {
  if (loadFailed) return { nn, status: "failing", passed: 0, total: 0 };
  const passed = outcomes.filter((o) => o.errors.length === 0).length;
  const untouched = passed === 0 && outcomes.every((o) => o.unfinished);
  const status: Status = passed === outcomes.length ? "passed" : untouched ? "not started" : "failing";
  return { nn, status, passed, total: outcomes.length };
}

/** Runs the checks of several steps quietly and classifies each. */
export async function surveySteps(
  steps: readonly StepInfo[] = STEPS,
  chain: Chain = "reference",
): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  for (const step of steps) outcomes.push(outcome(step.nn, await runChecksOn(step, "steps", chain)));
  return outcomes;
}
