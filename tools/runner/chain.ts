// Which earlier steps a step file builds on. package.json maps "#chain/step_NN" to
// solutions/solution_NN.ts by default and to your steps/step_NN.ts under Node's "mine"
// condition (node --conditions=mine), so a process runs on one chain from start to end.
import { spawnSync } from "node:child_process";
import { inspect } from "node:util";
import { CheckpointError } from "../../lib/checkpoint.ts";
import { isNotImplemented } from "../../lib/todo.ts";

export type Chain = "reference" | "mine";
const MINE = "--conditions=mine";

/** The chain this process resolves "#chain/..." to. */
export function activeChain(): Chain {
  return import.meta.resolve("#chain/step_01").includes("/steps/") ? "mine" : "reference";
}

/** Node options (this process's own, e.g. tsx's loader) for a process that runs on `chain`. */
export function nodeOptionsFor(chain: Chain): { execArgv: string[]; env: NodeJS.ProcessEnv } {
  const execArgv = process.execArgv.filter((a) => a !== MINE);
  const inherited = (process.env.NODE_OPTIONS ?? "").split(/\s+/).filter((a) => a && a !== MINE);
  const env = { ...process.env, NODE_OPTIONS: inherited.join(" ") };
  return { execArgv: chain === "mine" ? [...execArgv, MINE] : execArgv, env };
}

/**
 * Runs this very command again on `chain` when this process runs on the other one, and exits
 * with its exit code; returns when this process already runs on `chain`.
 */
export function runOnChain(chain: Chain): void {
  if (activeChain() === chain) return;
  const { execArgv, env } = nodeOptionsFor(chain);
  const child = spawnSync(process.execPath, [...execArgv, ...process.argv.slice(1)], { stdio: "inherit", env });
  process.exit(child.status ?? 1);
}

/**
 * For commands that run your chain (serve, train): an unfinished step ends the command with one
 * line naming it and what to do, instead of a stack trace.
 */
export function exitOnUnfinishedStep(command: string): void {
  process.on("uncaughtException", (error) => {
    console.error(failureReport(error, command));
    process.exit(1);
  });
}

/**
 * What `command` prints when `error` ends it: one line for an unfinished step or a bad model folder
 * (the user's to fix), the whole error with its trace for anything else (a bug: the trace helps).
 * A string, so that a worker thread can send it to the thread that prints it.
 */
export function failureReport(error: unknown, command: string): string {
  if (error instanceof CheckpointError) return error.message;
  if (!isNotImplemented(error)) return inspect(error);
  return `${error.message}\n${command} with --chain=mine runs your own steps: finish step ${error.step} and check it with npm run s${error.step}, or leave out --chain=mine to use the reference.`;
}
