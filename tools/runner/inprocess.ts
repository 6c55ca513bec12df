// Runs a step's checks in this process, without starting vitest: the learner's commands
// (npm run sNN, watch, progress) answer in about a second. The check files are the very ones
// `npm test` runs under vitest; tests/harness.ts registers their checks here instead.
import { stepPaths, type StepInfo } from "../curriculum.ts";
import type { StepReporter } from "./reporters.ts";

export interface RegisteredCheck {
  name: string;
  run: () => Promise<void>;
}

/** What this runner shares with tests/harness.ts through globalThis. */
export interface InProcessRun {
  /** Where the harness registers each check. */
  __gpt2Checks?: RegisteredCheck[];
  /** Appended to the step file's URL, so each run imports it afresh. */
  __gpt2Version?: number;
}
const shared = globalThis as InProcessRun;
let version = 0;

/** The reporter calls a run makes (StepReporter's, or a child process's messages to its parent). */
export type CheckListener = Pick<StepReporter, "begin" | "check" | "loadError" | "end">;

export interface CheckRun {
  outcomes: CheckOutcome[];
  loadFailed: boolean;
}

export interface CheckOutcome {
  name: string;
  /** Empty when the check passed. */
  errors: string[];
  /** It stopped at "not implemented yet" (the harness marks such failures). */
  unfinished: boolean;
}

/**
 * Imports step `nn`'s check file afresh (and, through it, the step file), runs every check in
 * order, and reports each to `reporter`. A file that cannot load is one failure.
 */
export async function runChecks(
  step: StepInfo,
  target: "steps" | "solutions",
  reporter?: CheckListener,
): Promise<CheckRun> {
  process.env.GPT2_TARGET = target;
  // The checks' tensors are tiny: the kernels' helper threads would only add their start-up
  // (~150 ms before the first product) to every verdict. GPT2_THREADS still decides when set.
  // Set here, not on import: main, serve and train import this module too (tools/cli/tokenizer.ts
  // reads the progress file through tools/runner/state.ts) and must keep every core.
  process.env.GPT2_THREADS ??= "1";
  const registry: RegisteredCheck[] = [];
  shared.__gpt2Checks = registry;
  shared.__gpt2Version = ++version; // a new module URL, so a saved file is read again
  reporter?.begin();
  try {
    // A path vite cannot resolve ahead of time (it names the step at run time): import it as it is.
    await import(/* @vite-ignore */ `../../${stepPaths(step.nn).checks}?v=${version}`);
  } catch (error) {
    reporter?.loadError(error instanceof Error ? error : { message: String(error) });
    reporter?.end({ passed: 0, failed: 1, skipped: new Map() });
    return { outcomes: [], loadFailed: true };
  }
  const outcomes: CheckOutcome[] = [];
  for (const check of registry) {
    let errors: string[] = [];
    let unfinished = false;
    try {
      await check.run();
    } catch (error) {
      errors = [error instanceof Error ? error.message : String(error)];
      unfinished = (error as { unfinished?: boolean }).unfinished === true;
    }
    reporter?.check(check.name, errors);
    outcomes.push({ name: check.name, errors, unfinished });
  }
  const failed = outcomes.filter((o) => o.errors.length).length;
  reporter?.end({ passed: outcomes.length - failed, failed, skipped: new Map() });
  return { outcomes, loadFailed: false };
}
