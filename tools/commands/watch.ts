// `npm run watch [-- NN] [--poll] [--chain=mine]`: starts at step NN, or else finds the first step that does not pass, shows
// its checks, and re-runs them whenever a file in steps/ is saved. When the step passes it
// says so, points at the next chapter, and moves on.
// Keys (in a terminal): h hint, n next step, l list, r re-run, q quit. Without a terminal it
// just re-runs and prints. File events are native where they work; otherwise (some network
// drives, WSL, containers) it falls back to polling, and says which it uses.
import { existsSync, rmSync, unwatchFile, watch, watchFile, writeFileSync } from "node:fs";
import { emitKeypressEvents } from "node:readline";
import { STEPS, findStep, stepPaths } from "../curriculum.ts";
import { UsageError, chosenChain, parseCommand } from "../cli/options.ts";
import { checkStep, type Chain } from "../runner/checks.ts";
import { formatHint, readHints } from "../runner/hints.ts";
import { cached, progressTable, readProgress, record, writeProgress } from "../runner/state.ts";

const {
  values: options,
  asked,
  chain,
} = parseCommand(
  {
    usage: "npm run watch -- [NN] [options]",
    positionals: true,
    options: {
      poll: { type: "boolean", help: "poll for saves instead of native file events" },
      chain: { type: "string", default: "reference", value: "mine", help: "mine: earlier steps from your steps/" },
    },
    notes: `NN is one of ${STEPS.map((s) => s.nn).join(", ")} (default: the first step not passing yet)`,
  },
  process.argv.slice(2),
  ({ values, positionals }) => {
    const asked = positionals[0] === undefined ? undefined : findStep(positionals[0]);
    if ((positionals[0] !== undefined && !asked) || positionals.length > 1)
      throw new UsageError(`which step? got ${JSON.stringify(positionals.join(" "))}`);
    return { values, asked, chain: chosenChain(values.chain) as Chain };
  },
);
const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
const KEYS = "keys: h hint · n next step · l list · r re-run · q quit";

const progress = readProgress();
let current = asked ? STEPS.indexOf(asked) : STEPS.findIndex((s) => cached(progress, s.nn)?.status !== "passed");
let hintShown = 0;
let running = false;
let rerun = false;

function show(text: string): void {
  // One write per screen: no flicker in a terminal; plain appended output elsewhere.
  process.stdout.write(interactive ? `\x1b[2J\x1b[H${text}\n` : `${text}\n`);
}

function finish(): never {
  const open = STEPS.filter((s) => progress.steps.get(s.nn)?.status !== "passed").map((s) => s.nn);
  if (open.length)
    show(`That was the last step. Still to finish: ${open.join(", ")} (npm run progress shows the table).`);
  else
    show(
      `All ${STEPS.length} steps pass. Run your own GPT-2:\n  npm run download -- gpt2\n  npm run gpt2 -- "The meaning of life is"`,
    );
  process.exit(0);
}

async function runCurrent(): Promise<void> {
  if (running) {
    rerun = true;
    return;
  }
  running = true;
  do {
    rerun = false;
    if (current < 0 || current >= STEPS.length) finish();
    const step = STEPS[current];
    const lines: string[] = [];
    const result = await checkStep(step, { chain, write: (line) => lines.push(line) });
    if (chain === "reference") record(progress, result); // progress is each step on its own, as npm run sNN records it
    writeProgress(progress);
    if (result.status === "passed") {
      const next = STEPS[current + 1];
      process.stdout.write(
        `${lines.join("\n")}\n\n✔ Step ${step.nn} passes! ${next ? `Next: read ${stepPaths(next.nn).chapter} and open ${stepPaths(next.nn).step}` : ""}\n\n`,
      );
      current++;
      hintShown = 0;
      rerun = true; // go straight on to the next step's checks
      if (interactive) await new Promise((resolve) => setTimeout(resolve, 1500));
    } else {
      const footer = `\nWatching steps/ for saves (${mode}).${interactive ? ` ${KEYS}` : ""}`;
      show(`${lines.join("\n")}\n${footer}`);
    }
  } while (rerun);
  running = false;
}

// ------------------------------------------------------------------ file events

let mode = "";
let debounce: NodeJS.Timeout | undefined;
function changed(name: string | null): void {
  if (name && !/^step_\d\d\.ts$/.test(name)) return;
  clearTimeout(debounce);
  debounce = setTimeout(() => void runCurrent(), 150);
}

function startPolling(): void {
  mode = "polling every 300 ms";
  for (const step of STEPS)
    watchFile(
      stepPaths(step.nn).step,
      { interval: 300 },
      (now, before) => now.mtimeMs !== before.mtimeMs && changed(null),
    );
}

/** Native events, if a probe file written into steps/ is actually reported within a second. */
async function startNative(): Promise<boolean> {
  let seen = false;
  const probe = `steps/.watch-probe-${process.pid}`;
  try {
    const watcher = watch("steps", (_event, name) => {
      if (String(name) === probe.slice("steps/".length)) seen = true;
      else changed(name === null ? null : String(name));
    });
    writeFileSync(probe, "probe");
    for (let i = 0; i < 20 && !seen; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    if (existsSync(probe)) rmSync(probe);
    if (!seen) watcher.close();
  } catch {
    return false;
  }
  if (seen) mode = "native file events";
  return seen;
}

if (options.poll || !(await startNative())) startPolling();

// ------------------------------------------------------------------ keys

if (interactive) {
  emitKeypressEvents(process.stdin);
  process.stdin.setRawMode(true);
  process.stdin.on("keypress", (_text: string, key: { name?: string; ctrl?: boolean }) => {
    const step = STEPS[current];
    if (key.name === "q" || (key.ctrl && key.name === "c")) {
      for (const s of STEPS) unwatchFile(stepPaths(s.nn).step);
      process.stdout.write("\n");
      process.exit(0);
    }
    if (!step) return;
    if (key.name === "h") {
      hintShown = Math.min(hintShown + 1, Math.max(readHints(step.nn).length, 1));
      process.stdout.write(`\n${formatHint(step.nn, hintShown)}\n\n${KEYS}\n`);
    } else if (key.name === "l") {
      process.stdout.write(`\n${progressTable(progress)}\n\n${KEYS}\n`);
    } else if (key.name === "n") {
      current++;
      hintShown = 0;
      void runCurrent();
    } else if (key.name === "r") void runCurrent();
  });
}

process.stdout.write(
  `watch: checking your steps (${mode})${chain === "mine" ? ", earlier steps from your steps/" : ""}…\n`,
);
await runCurrent();
