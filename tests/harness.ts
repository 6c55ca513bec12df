// The step-check harness. Each step's test file declares its checks with `check(...)`; the
// harness runs them against the learner's step (default) or the reference solution, and turns
// failures into messages a learner can act on: what was expected, what came out, where to read.
//
// Environment (set by vitest.config.ts projects or by tools/commands/check.ts):
//   GPT2_TARGET=steps|solutions   which file a check imports
//   GPT2_AUDIT=skeleton           instructor mode: every check must FAIL with "not implemented"
//                                 on the untouched skeleton (so no check is toothless)
import { isNotImplemented } from "../lib/todo.ts";
import { stepPaths } from "../tools/curriculum.ts";
import type { InProcessRun } from "../tools/runner/inprocess.ts";
import { recognisedMistake } from "./fixtures.ts";
import { fmtShape, forEachIndex, isTensor, type AnyTensor, type Tensor } from "../lib/tensor.ts";

export const target = process.env.GPT2_TARGET === "solutions" ? "solutions" : "steps";

// Set by the learner's in-process runner (tools/runner/inprocess.ts), which runs these very
// checks without starting vitest. Under vitest (npm test) it is not set.
const inProcess = globalThis as InProcessRun;
const vitestIt = inProcess.__gpt2Checks ? undefined : (await import("vitest")).it;

function register(name: string, run: () => Promise<void>): void {
  if (inProcess.__gpt2Checks) inProcess.__gpt2Checks.push({ name, run });
  else vitestIt!(name, run);
}
const auditSkeleton = process.env.GPT2_AUDIT === "skeleton";

/** A failed expectation, already phrased for the learner. */
export class CheckFailure extends Error {
  override name = "CheckFailure";
  /** Set when the check stopped at a step's "not implemented yet": the step is untouched, not wrong. */
  unfinished = false;
}

/** A failure whose cause the check recognised: its message replaces the check's hint, and it names its own section. */
export class Diagnosis extends CheckFailure {
  constructor(
    message: string,
    readonly section: string,
  ) {
    super(message);
  }
}

export function stepFile(nn: string): string {
  return stepPaths(nn)[target === "solutions" ? "solution" : "step"];
}

/** Imports the module under test: `steps/step_NN.ts`, or `solutions/solution_NN.ts` in instructor mode. */
export async function loadStep<M>(nn: string): Promise<M> {
  const fresh = inProcess.__gpt2Version === undefined ? "" : `?v=${inProcess.__gpt2Version}`;
  return (await import(/* @vite-ignore */ `../${stepFile(nn)}${fresh}`)) as M;
}

export interface Advice {
  /** The chapter section to reread, e.g. "Defaults". */
  section: string;
  /** One or two sentences on the likely mistake. */
  hint: string;
  /**
   * Earlier checks of the same step this one builds on (the start of their names). When this
   * check fails after one of them failed, it says so instead of giving its own hint, which would
   * send the learner after the wrong cause.
   */
  after?: readonly string[];
}

/**
 * Where an unexpected error came from, as the learner should read it: the first stack frame in
 * the file being checked (or, on --chain=mine, in another of the learner's steps), e.g.
 * "steps/step_20.ts:31:5", and the frame that raised it when that was deeper, in code the
 * learner's line called (a reference solution, lib/).
 */
function whereInStep(error: Error, nn: string): string | null {
  const frames = [
    ...(error.stack ?? "").matchAll(/((?:steps|solutions|lib)\/[\w./]+\.ts)(?:\?[^:\s)]*)?:(\d+):(\d+)/g),
  ].map(([, file, line, column]) => ({ file, at: `${file}:${line}:${column}` }));
  const own = frames.find((f) => f.file === stepFile(nn)) ?? frames.find((f) => f.file.startsWith("steps/"));
  if (!own)
    return frames.length ? `${frames[0].at} (code the check ran on what your step returned, not your own line)` : null;
  const raised = frames[0];
  return raised === own ? own.at : `${own.at}\n  (raised inside ${raised.at}, called from that line)`;
}

function explain(error: unknown, nn: string, advice: Advice): Error {
  const read = `read: ${stepPaths(nn).chapter}, section "${advice.section}"`;
  if (isNotImplemented(error)) {
    // With --chain=mine the missing piece may be an earlier step: send the learner to its chapter.
    const other = error.step;
    const failure =
      other !== nn
        ? new CheckFailure(
            `${error.message}\n(step ${nn} runs on your step ${other} here, with --chain=mine)\nread: ${stepPaths(other).chapter}, then npm run s${other}`,
          )
        : new CheckFailure(`${error.message}\n${read}`);
    failure.unfinished = true;
    return failure;
  }
  if (error instanceof Diagnosis)
    return new CheckFailure(`${error.message}\nread: ${stepPaths(nn).chapter}, section "${error.section}"`);
  if (error instanceof CheckFailure) return new CheckFailure(`${error.message}\nhint: ${advice.hint}\n${read}`);
  const e = error instanceof Error ? error : new Error(String(error));
  const where = whereInStep(e, nn);
  return new CheckFailure(
    `your code threw ${e.name}: ${e.message}${where ? `\n  at ${where}` : ""}\nhint: ${advice.hint}\n${read}`,
  );
}

/** A failure that follows from an earlier failed check: name that one, keep what went wrong, drop the hint. */
function dependent(error: unknown, cause: string): Error {
  const what = (error instanceof Error ? error.message : String(error)).split("\n")[0];
  return new CheckFailure(`follows from ✘ "${cause}" above: fix that first (this check builds on it)\n  here: ${what}`);
}

/**
 * Declares one check of step `nn`. In audit mode the check is inverted: it passes only when
 * the untouched skeleton makes it fail with a "not implemented" error.
 */
export function checksFor(nn: string) {
  /** Names of this step's checks that have failed so far (checks run in order). */
  const failed: string[] = [];
  return function check(name: string, advice: Advice, body: () => void | Promise<void>): void {
    if (auditSkeleton) {
      register(`skeleton fails: ${name}`, async () => {
        try {
          await body();
        } catch (error) {
          if (isNotImplemented(error)) return;
          const message = error instanceof Error ? error.message : String(error);
          throw new CheckFailure(
            `on the untouched skeleton this check failed for a reason other than "not implemented":\n${message}`,
          );
        }
        throw new CheckFailure(
          `check "${name}" passed on the untouched skeleton ${stepFile(nn)}: it cannot catch a missing implementation`,
        );
      });
      return;
    }
    register(name, async () => {
      try {
        await body();
      } catch (error) {
        failed.push(name);
        const cause = failed.find(
          (earlier) => earlier !== name && (advice.after ?? []).some((prefix) => earlier.startsWith(prefix)),
        );
        if (cause && !isNotImplemented(error)) throw dependent(error, cause);
        throw explain(error, nn, advice);
      }
    });
  };
}

// ------------------------------------------------------------------ expectations

const show = (v: unknown): string => {
  if (isTensor(v)) return `tensor of shape ${fmtShape(v.shape)}`;
  if (typeof v === "number" && Object.is(v, -0)) return "-0";
  return JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x)) ?? String(v);
};

/** What equality compares: a tensor by its shape and every value (show() prints only its shape). */
const identity = (v: unknown): string => (isTensor(v) ? `${fmtShape(v.shape)} ${show(values(v))}` : show(v));

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !isTensor(v);

/** For two records: only the keys whose values differ, one line each (a long record is unreadable whole). */
function keysThatDiffer(got: Record<string, unknown>, expected: Record<string, unknown>): string {
  const lines: string[] = [];
  let same = 0;
  for (const key of new Set([...Object.keys(expected), ...Object.keys(got)])) {
    if (!(key in got)) lines.push(`  missing: ${key} (expected ${show(expected[key])})`);
    else if (!(key in expected)) lines.push(`  extra:   ${key} = ${show(got[key])}`);
    else if (identity(got[key]) !== identity(expected[key]))
      lines.push(`  ${key}: expected ${show(expected[key])}, got ${show(got[key])}`);
    else same++;
  }
  return `${lines.join("\n")}${same > 0 ? `\n  (the other ${same} match)` : ""}`;
}

export function expectEqual(what: string, got: unknown, expected: unknown): void {
  if (identity(got) === identity(expected)) return;
  if (isRecord(got) && isRecord(expected)) throw new CheckFailure(`${what}\n${keysThatDiffer(got, expected)}`);
  throw new CheckFailure(`${what}\n  expected: ${show(expected)}\n  got:      ${show(got)}`);
}

/** Token ids equal to a fixture's; on a mismatch, names the recorded mistake they match, if any. */
export function expectIds(what: string, got: readonly number[], expected: AnyTensor): void {
  const want = values(expected);
  if (show(got) === show(want)) return;
  const known = recognisedMistake(expected, got);
  throw new CheckFailure(
    `${what}\n${listDifference(got, want)}${known ? `\n  it matches what the reference computes for a classic mistake — ${known}` : ""}`,
  );
}

/** Two lists side by side; for long ones only the neighbourhood of the first difference. */
export function listDifference(got: readonly unknown[], want: readonly unknown[]): string {
  if (got.length + want.length <= 40) return `  expected: ${show(want)}\n  got:      ${show(got)}`;
  let i = 0;
  while (i < got.length && i < want.length && show(got[i]) === show(want[i])) i++;
  const from = Math.max(0, i - 3);
  const around = (list: readonly unknown[]) =>
    `${from > 0 ? "[…, " : "["}${list
      .slice(from, i + 5)
      .map(show)
      .join(", ")}${i + 5 < list.length ? ", …]" : "]"}`;
  return (
    `  first difference at position ${i} (expected ${want.length} items, got ${got.length})\n` +
    `  expected: ${around(want)}\n  got:      ${around(got)}`
  );
}

/**
 * How much longer than stated a time limit may run: 1, except under `npm run mutants`, where
 * StrykerJS instruments the solution (every expression becomes a switch) and it runs ~10× slower.
 */
export function timeAllowance(): number {
  return "__stryker__" in globalThis ? 20 : 1;
}

export function expectTrue(what: string, condition: boolean, detail = ""): void {
  if (!condition) throw new CheckFailure(`${what}${detail ? `\n  ${detail}` : ""}`);
}

export function expectTensor(what: string, value: unknown): asserts value is Tensor {
  if (!isTensor(value)) {
    throw new CheckFailure(
      `${what}: expected a float32 tensor (an ndarray over a Float32Array)\n  got: ${value === undefined ? "undefined (did you forget to return it?)" : show(value)}`,
    );
  }
}

export function expectShape(what: string, value: unknown, shape: readonly number[]): asserts value is Tensor {
  expectTensor(what, value);
  if (fmtShape(value.shape) !== fmtShape(shape)) {
    throw new CheckFailure(
      `${what} has the wrong shape\n  expected: ${fmtShape(shape)}\n  got:      ${fmtShape(value.shape)}`,
    );
  }
}

/** The elements of a tensor in row-major order. */
export function values(t: AnyTensor): number[] {
  const out: number[] = [];
  forEachIndex(t.shape, [t.stride], [t.offset], ([p]) => out.push(t.data[p]));
  return out;
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** "does not match" or, for a plural subject ("row variances", "outputs at …"), "do not match". */
function doesNotMatch(what: string): string {
  const tail = what.split(": ").at(-1)!;
  if (/^[\w.]+\(/.test(tail)) return "does not match"; // a call's result, e.g. nextTokenLogits(model, ids)
  const phrase = tail.split(/ of | at | after | for | over |\(/)[0].trim();
  const noun = phrase.split(" ").at(-1) ?? "";
  return /s$/.test(noun) && !/(ss|us|is|as)$/.test(noun) ? "do not match" : "does not match";
}

/** Element-wise |got − expected| ≤ atol + rtol·|expected|, with ±∞ required to match exactly. */
export function expectClose(
  what: string,
  got: unknown,
  expected: AnyTensor,
  tol: Tolerance,
  reference = "the PyTorch reference",
): void {
  expectShape(what, got, expected.shape);
  const g = values(got);
  const e = values(expected);
  let worst = -1;
  let worstExcess = 0;
  let worstDiff = 0;
  let bad = 0;
  for (let i = 0; i < e.length; i++) {
    if (g[i] === e[i]) continue; // also covers matching infinities, where the tolerance is NaN
    const diff = Math.abs(g[i] - e[i]);
    // An infinity or NaN on either side that is not matched exactly is always off (∞ − ∞ would be NaN).
    const excess = Number.isFinite(diff) ? diff - (tol.atol + tol.rtol * Math.abs(e[i])) : Infinity;
    if (!(excess > 0)) continue;
    bad++;
    if (worst < 0 || excess > worstExcess) {
      worst = i;
      worstExcess = excess;
      worstDiff = diff;
    }
  }
  if (worst >= 0) {
    const index: number[] = [];
    let rest = worst;
    for (let d = expected.shape.length - 1; d >= 0; d--) {
      index.unshift(rest % expected.shape[d]);
      rest = Math.floor(rest / expected.shape[d]);
    }
    const known = recognisedMistake(expected, g);
    const scaled = known ? null : scaledCopy(g, e);
    throw new CheckFailure(
      `${what} ${doesNotMatch(what)} ${reference} (${bad} of ${e.length} values off)\n` +
        (known ? `  it matches what PyTorch computes for a classic mistake — ${known}\n` : "") +
        (scaled ? `  ${scaled}\n` : "") +
        `  at index [${index.join(", ")}]: expected ${e[worst]}, got ${g[worst]} (|diff| ${worstDiff.toPrecision(3)}, tolerance ${tol.atol} + ${tol.rtol}·|expected|)`,
    );
  }
}

/**
 * When every value is the reference's times one whole number k (or divided by one), says so:
 * a gradient exactly k× too large is a classic sign of a sum where a mean belongs, or of
 * gradients added to across calls instead of starting from zero.
 */
function scaledCopy(got: readonly number[], expected: readonly number[]): string | null {
  let ratio: number | null = null;
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] === 0) {
      if (got[i] !== 0) return null;
      continue;
    }
    const r = got[i] / expected[i];
    if (!Number.isFinite(r)) return null;
    if (ratio === null) ratio = r;
    else if (Math.abs(r - ratio) > 1e-3 * Math.abs(ratio)) return null;
  }
  if (ratio === null) return null;
  // Small whole numbers only (a batch, a sequence length, their product): 225× is no such mistake.
  const whole = (x: number) =>
    Math.abs(x) >= 2 && Math.abs(x) <= 64 && Math.abs(x - Math.round(x)) < 1e-3 * Math.abs(x);
  if (Math.abs(ratio + 1) < 1e-3) return "every value has the opposite sign: is a minus sign missing or extra?";
  if (whole(ratio))
    return `every value is exactly ${Math.round(ratio)}× the reference's: a sum where a mean belongs, or a gradient accumulated across calls instead of starting from zero?`;
  if (whole(1 / ratio))
    return `every value is exactly 1/${Math.round(1 / ratio)} of the reference's: a division too many (by a count, B·T twice)?`;
  return null;
}

/**
 * Expects `fn` to throw an error (of class `kind`, when given) whose message matches every pattern. A "not implemented"
 * error is passed through untouched, so a skeleton never counts as "threw the right error".
 */
export async function expectError(
  what: string,
  fn: () => unknown,
  patterns: readonly RegExp[],
  kind?: string,
): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (isNotImplemented(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const name = error instanceof Error ? error.name : typeof error;
    if (kind && name !== kind)
      throw new CheckFailure(
        `${what}: the error should be a ${kind}, as the chapter asks\n  got: ${name}: ${JSON.stringify(message)}`,
      );
    const missing = patterns.filter((p) => !p.test(message));
    if (missing.length) {
      throw new CheckFailure(
        `${what}: the error message should mention ${missing.map(String).join(" and ")}\n  got: ${JSON.stringify(message)}`,
      );
    }
    return;
  }
  throw new CheckFailure(`${what}\n  expected: an error\n  got:      no error was thrown`);
}

/** The module's parameter paths and shapes must be exactly `expected`, in order. */
export function expectParameters(
  what: string,
  module: { namedParameters(): [string, Tensor][] },
  expected: Record<string, readonly number[]>,
): void {
  const got = Object.fromEntries(module.namedParameters().map(([name, t]) => [name, fmtShape(t.shape)]));
  const want = Object.fromEntries(Object.entries(expected).map(([name, shape]) => [name, fmtShape(shape)]));
  expectEqual(`${what}: parameter names and shapes`, got, want);
}

/** Formats a count the way the book prints it: 38,597,376. */
export const count = (n: number): string => n.toLocaleString("en-US");

/**
 * A parameter count. `known` names sizes a difference may equal (e.g. { vocab_size: 50257 }):
 * when it does, the message says so, which usually names the mistake (a bias of that width).
 */
export function expectCount(what: string, got: number, expected: number, known: Record<string, number> = {}): void {
  if (got === expected) return;
  const diff = got - expected;
  const named = Object.entries(known).find(([, size]) => size === Math.abs(diff));
  const explained = named
    ? ` = ${named[0]}: ${diff > 0 ? "an extra" : "a missing"} tensor of ${named[0]} numbers (a bias that should${diff > 0 ? " not" : ""} be there?)`
    : "";
  throw new CheckFailure(
    `${what}\n  expected: ${count(expected)} parameters\n  got:      ${count(got)} (${diff > 0 ? "+" : "−"}${count(Math.abs(diff))}${explained})`,
  );
}

/** Hugging Face GPT-2 block parameter names and shapes at width C, under `prefix`. */
export function blockParameters(prefix: string, C: number, inner = 4 * C): Record<string, number[]> {
  return {
    [`${prefix}ln_1.weight`]: [C],
    [`${prefix}ln_1.bias`]: [C],
    [`${prefix}attn.c_attn.weight`]: [3 * C, C],
    [`${prefix}attn.c_attn.bias`]: [3 * C],
    [`${prefix}attn.c_proj.weight`]: [C, C],
    [`${prefix}attn.c_proj.bias`]: [C],
    [`${prefix}ln_2.weight`]: [C],
    [`${prefix}ln_2.bias`]: [C],
    [`${prefix}mlp.c_fc.weight`]: [inner, C],
    [`${prefix}mlp.c_fc.bias`]: [inner],
    [`${prefix}mlp.c_proj.weight`]: [C, inner],
    [`${prefix}mlp.c_proj.bias`]: [C],
  };
}

/**
 * Causality of a whole sequence model: change token `t` and check that outputs at positions
 * before `t` stay the same. `run` maps a [1, T] id list (or [1, T, C] input) to [1, T, …].
 */
export function expectCausal(what: string, run: (changeAt: number | null) => Tensor, t: number): void {
  const before = run(null);
  const after = run(t);
  const keep = (x: Tensor) => x.hi(...x.shape.map((s, d) => (d === 1 ? t : s)));
  expectClose(
    `${what}: outputs at positions 0…${t - 1} after changing token ${t}`,
    keep(after),
    keep(before),
    { atol: 1e-5, rtol: 1e-5 },
    "the same outputs before the change",
  );
  const changed = values(after).some((v, i) => v !== values(before)[i]);
  expectTrue(`${what}: changing token ${t} should change some later output (is the input used at all?)`, changed);
}
