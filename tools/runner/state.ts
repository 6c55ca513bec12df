// The learner's progress, kept in .progress at the repository root (gitignored, plain text):
//   01 passed 8/8 3f2a…      step, status, checks passed/total, SHA-1 of steps/step_01.ts when checked
//   chain passed             whether your whole chain (npm run gpt2) passes
// It is only a cache: a step whose file changed since it was checked counts as unknown, and
// `npm run progress -- --recheck` rebuilds it from scratch.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { stripVTControlCharacters } from "node:util";
import { dim, green, red } from "../cli/colors.ts";
import { bar } from "../cli/progress.ts";
import { STEPS, stepPaths } from "../curriculum.ts";
import { surveySteps, type StepOutcome, type Status } from "./checks.ts";

export const PROGRESS_FILE = ".progress";

export interface Progress {
  steps: Map<string, StepOutcome & { sha1: string }>;
  chain: "passed" | "failing" | "unknown";
}

export function fileSha1(nn: string): string {
  const file = stepPaths(nn).step;
  return existsSync(file) ? createHash("sha1").update(readFileSync(file)).digest("hex") : "missing";
}

export function readProgress(): Progress {
  const progress: Progress = { steps: new Map(), chain: "unknown" };
  if (!existsSync(PROGRESS_FILE)) return progress;
  for (const line of readFileSync(PROGRESS_FILE, "utf8").split("\n")) {
    const step = /^(\d\d) (passed|failing|not-started) (\d+)\/(\d+) ([0-9a-f]{40}|missing)$/.exec(line);
    if (step)
      progress.steps.set(step[1], {
        nn: step[1],
        status: step[2].replace("-", " ") as Status,
        passed: Number(step[3]),
        total: Number(step[4]),
        sha1: step[5],
      });
    const chain = /^chain (passed|failing)$/.exec(line);
    if (chain) progress.chain = chain[1] as Progress["chain"];
  }
  return progress;
}

export function writeProgress(progress: Progress): void {
  const lines = [
    "# Your progress, written by npm run progress and npm run watch. Safe to delete: npm run progress -- --recheck rebuilds it.",
  ];
  for (const s of [...progress.steps.values()].sort((a, b) => a.nn.localeCompare(b.nn)))
    lines.push(`${s.nn} ${s.status.replace(" ", "-")} ${s.passed}/${s.total} ${s.sha1}`);
  if (progress.chain !== "unknown") lines.push(`chain ${progress.chain}`);
  writeFileSync(PROGRESS_FILE, `${lines.join("\n")}\n`);
}

/** Records a fresh outcome; a changed step also makes the chain's result unknown. */
export function record(progress: Progress, outcome: StepOutcome): void {
  const sha1 = fileSha1(outcome.nn);
  if (progress.steps.get(outcome.nn)?.sha1 !== sha1) progress.chain = "unknown";
  progress.steps.set(outcome.nn, { ...outcome, sha1 });
}

/** The recorded outcome, if the step's file has not changed since. */
export function cached(progress: Progress, nn: string): StepOutcome | undefined {
  const entry = progress.steps.get(nn);
  return entry && entry.sha1 === fileSha1(nn) ? entry : undefined;
}

export function progressTable(progress: Progress): string {
  const rows = STEPS.map((step) => {
    const s = progress.steps.get(step.nn);
    const status = !s
      ? dim("? unknown")
      : s.status === "passed"
        ? green("✔ passed")
        : s.status === "failing"
          ? red("✘ failing")
          : dim("· not started");
    const checks = s ? `${s.passed}/${s.total}` : "";
    return `  ${step.nn.padEnd(4)}  ${step.title.padEnd(38)} ${status}${" ".repeat(Math.max(0, 13 - stripVTControlCharacters(status).length))} ${checks}`;
  });
  const done = STEPS.filter((s) => progress.steps.get(s.nn)?.status === "passed").length;
  const passing = `[${bar(done / STEPS.length, 30)}] ${done} of ${STEPS.length} steps pass`;
  const chain =
    done < STEPS.length
      ? "your whole chain (npm run gpt2): needs every step to pass first"
      : progress.chain === "passed"
        ? green('your whole chain (npm run gpt2): ✔ every step passes on your own code — run npm run gpt2 -- "Hello"')
        : "your whole chain (npm run gpt2): ✘ some step fails on your own earlier steps — find it with npm run sNN -- --chain=mine";
  return [`  Step  ${"Chapter".padEnd(38)} Status        Checks`, ...rows, "", `  ${passing}`, `  ${chain}`].join("\n");
}

/** Brings the progress file up to date: re-checks changed (or, with `all`, every) step. */
export async function refresh(all: boolean): Promise<Progress> {
  const progress = readProgress();
  const stale = STEPS.filter((s) => all || !cached(progress, s.nn));
  for (const outcome of stale.length ? await surveySteps(stale) : []) record(progress, outcome);
  const everyStepPasses = STEPS.every((s) => progress.steps.get(s.nn)?.status === "passed");
  if (everyStepPasses && (all || progress.chain === "unknown")) {
    const mine = await surveySteps(STEPS, "mine");
    progress.chain = mine.every((o) => o.status === "passed") ? "passed" : "failing";
  }
  writeProgress(progress);
  return progress;
}
