// Temporary folders for tests, removed however the test ends: passed, failed or timed out.
// `tempDir` leaves the removal to vitest; `withTempDir` removes its folder itself, so it also
// works without vitest: in the step checks, which the learner's commands run in-process
// (tools/runner/inprocess.ts), as does tests/course/mistake-runner.ts in a child process.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { InProcessRun } from "../tools/runner/inprocess.ts";

// As in tests/harness.ts: the learner's in-process checks answer in under a second without vitest.
const vitest = (globalThis as InProcessRun).__gpt2Checks ? undefined : await import("vitest");

/** A new empty folder `<OS temp dir>/<prefix>-XXXXXX`. */
function makeTempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `${prefix}-`));
}

/** Removes a temporary folder and everything in it (retrying while a child process that wrote there exits). */
function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
}

/**
 * A new empty folder in the OS temp dir, removed by vitest: made in a test (or its beforeEach),
 * when that test finishes; made while the file is collected (its top level, a describe block),
 * after the tests of that file or block. Not in a beforeAll or afterAll, where vitest would no
 * longer run a hook added: make the folder at the top level and fill it in the beforeAll.
 */
export function tempDir(prefix: string): string {
  if (!vitest) throw new Error("tempDir needs vitest; outside it, use withTempDir");
  const { TestRunner, afterAll, onTestFinished } = vitest;
  const test = TestRunner.getCurrentTest();
  if (!test && TestRunner.getCurrentSuite().file.result)
    throw new Error("tempDir in a beforeAll or afterAll: make the folder at the file's top level instead");
  const dir = makeTempDir(prefix);
  const remove = () => removeTempDir(dir);
  if (test) onTestFinished(remove);
  else afterAll(remove);
  return dir;
}

/** Runs `use` with a new empty folder in the OS temp dir, and removes the folder when `use` returns or throws. */
export async function withTempDir<T>(prefix: string, use: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = makeTempDir(prefix);
  try {
    return await use(dir);
  } finally {
    removeTempDir(dir);
  }
}
