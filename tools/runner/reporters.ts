// How results are printed.
// - StepReporter: what a learner sees from `npm run sNN` — one ✔/✘ line per check, and for a
//   failure the expected value, what came out and a hint; no stack traces.
// - SummaryReporter (a vitest reporter): added after vitest's default reporter in `npm test`, it
//   ends the output with the plain line "N passed, N failed" that CI reads.
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import type { Reporter, TestModule } from "vitest/node";
import { dim, green, red } from "../cli/colors.ts";

interface SerializedErrorLike {
  message?: string;
  name?: string;
}

export interface Tally {
  passed: number;
  failed: number;
  /** Skipped tests, counted by the reason they gave (ctx.skip(note)), e.g. a program to install. */
  skipped: Map<string, number>;
}

/** Counts passed, failed and skipped tests; a test file that could not even load counts as one failure. */
function tally(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<unknown>): Tally {
  const counts: Tally = { passed: 0, failed: unhandled.length, skipped: new Map() };
  for (const module of modules) {
    if (module.errors().length) counts.failed++;
    for (const test of module.children.allTests()) {
      const result = test.result();
      if (result.state === "passed") counts.passed++;
      else if (result.state === "failed") counts.failed++;
      else if (result.state === "skipped") {
        const reason = result.note ?? "skipped";
        counts.skipped.set(reason, (counts.skipped.get(reason) ?? 0) + 1);
      }
    }
  }
  return counts;
}

/** "N passed, N failed" (", N skipped" when any were), the closing line CI reads. */
export function summaryLine({ passed, failed, skipped }: Tally): string {
  const nSkipped = [...skipped.values()].reduce((a, b) => a + b, 0);
  return `${passed} passed, ${failed} failed${nSkipped ? `, ${nSkipped} skipped` : ""}`;
}

/** One line per reason tests were skipped: "skipped 4 tests: needs Chromium …: apt-get install chromium". */
export function skipLines({ skipped }: Tally): string[] {
  return [...skipped].map(([reason, n]) => `skipped ${n} test${n === 1 ? "" : "s"}: ${reason}`);
}

/** "    at fn (file:12:3)" or "    at file:12:3": a stack frame, not a check's "  at index [1, 4]: …" line. */
function isStackFrame(line: string): boolean {
  return /^\s+at .*:\d+:\d+\)?$/.test(line);
}

/** Makes absolute paths in a message relative to the project, and drops vitest's internal frames. */
function tidy(message: string): string {
  const root = process.cwd() + path.sep;
  return stripVTControlCharacters(message)
    .split(root)
    .join("")
    .split("\n")
    .filter((line) => !isStackFrame(line) || /(steps|solutions)\//.test(line))
    .join("\n");
}

function indent(text: string, pad: string): string {
  return text
    .split("\n")
    .map((line) => pad + line)
    .join("\n");
}

/** Explains a test file that failed to load: usually a syntax or import error in the step file. */
function loadFailure(error: SerializedErrorLike): string {
  const message = tidy(error.message ?? String(error));
  const where = /((?:steps|solutions|lib|tests)\/[\w./-]+\.ts):(\d+)(?::(\d+))?/.exec(message);
  const head = where
    ? `could not load ${where[1]} (line ${where[2]}${where[3] ? `, column ${where[3]}` : ""})`
    : "could not load the step file";
  return `${red("✘")} ${head}\n${indent(message, "    ")}\n    ${dim("fix the error above, save, and run the check again")}`;
}

/** What a learner sees from `npm run sNN`, watch and progress (tools/runner/inprocess.ts drives it). */
export class StepReporter {
  /** Set when the run ends: the number of failed checks (a file that could not load counts as one). */
  failed = 0;
  /** Failure messages already printed in full. */
  private readonly shown = new Set<string>();
  private started = 0;

  constructor(
    private readonly title: string,
    /** Where lines go; watch mode collects them to redraw the screen in one go. */
    private readonly write: (line: string) => void = console.log,
  ) {}

  begin(): void {
    this.shown.clear();
    this.started = performance.now();
    this.write(this.title);
  }

  /** One check's line: ✔, or ✘ with its messages (empty for a pass). */
  check(name: string, errors: readonly string[]): void {
    if (errors.length === 0) {
      this.write(`  ${green("✔")} ${name}`);
      return;
    }
    this.write(`  ${red("✘")} ${name}`);
    for (const error of errors) {
      const message = tidy(error);
      // One cause failing many checks (an unfinished earlier step) is explained once.
      if (this.shown.has(message)) this.write(`      ${dim(`(same as above: ${message.split("\n")[0]})`)}`);
      else this.write(indent(message, "      "));
      this.shown.add(message);
    }
  }

  loadError(error: SerializedErrorLike): void {
    this.write(loadFailure(error));
  }

  end(counts: Tally): void {
    this.failed = counts.failed;
    this.write(`${summaryLine(counts)} ${dim(`· ${((performance.now() - this.started) / 1000).toFixed(2)} s`)}`);
  }
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<unknown>): void {
    const counts = tally(modules, unhandled);
    for (const line of skipLines(counts)) console.log(line);
    console.log(summaryLine(counts));
  }
}
