// `npm run mutants [-- NN …]`: mutation testing of the step checks (instructors). StrykerJS
// changes solutions/solution_NN.ts in small ways (a + becomes −, a condition is dropped, …) and
// runs step NN's checks against each change; a change no check notices ("survived") is a blind
// spot of the checks, unless it does not change behaviour (an equivalent mutant, listed with
// its reason in tools/mutants/equivalent.json). Prints the score per step.
import { readFileSync } from "node:fs";
import type { PartialStrykerOptions } from "@stryker-mutator/api/core";
import { STEPS, findStep, stepPaths } from "../curriculum.ts";
import { UsageError, parseCommand } from "../cli/options.ts";

interface Equivalent {
  /** 'solutions/solution_NN.ts Mutator "the code it changes"', as printed below: no line numbers, so reformatting keeps it. */
  mutant: string;
  reason: string;
}

const equivalent = JSON.parse(
  readFileSync(new URL("../mutants/equivalent.json", import.meta.url), "utf8"),
) as Equivalent[];
const steps = parseCommand(
  {
    usage: "npm run mutants [-- NN …]",
    options: {},
    positionals: true,
    notes: `NN is one of ${STEPS.map((s) => s.nn).join(", ")} (default: all)`,
  },
  process.argv.slice(2),
  ({ positionals }) => {
    const chosen = positionals.length ? positionals.map((a) => findStep(a)) : STEPS;
    const unknown = positionals.filter((_, i) => !chosen[i]);
    if (unknown.length) throw new UsageError(`no step ${unknown.join(", ")}`);
    return chosen;
  },
);

const { Stryker } = await import("@stryker-mutator/core"); // after the arguments: it takes seconds to load
const rows: string[] = [];
for (const step of steps as NonNullable<(typeof steps)[number]>[]) {
  process.env.GPT2_MUTANT_STEP = step.nn;
  const start = performance.now();
  const results = await new Stryker({
    mutate: [stepPaths(step.nn).solution],
    testRunner: "vitest",
    // related: false — the checks import the solution through a computed path, which vitest cannot trace.
    vitest: { configFile: "tools/mutants/vitest.config.ts", related: false },
    coverageAnalysis: "off",
    concurrency: 2,
    reporters: [],
    logLevel: "error" as PartialStrykerOptions["logLevel"],
    disableTypeChecks: "solutions/**/*.ts",
    tempDirName: ".stryker-tmp",
    cleanTempDir: true,
  }).runMutationTest();
  const id = (m: (typeof results)[number]) => {
    const file = m.fileName.replace(`${process.cwd()}/`, "");
    return `${file} ${m.mutatorName} ${JSON.stringify(sourceText(file, m.location))}`;
  };
  const survivors = results.filter((m) => m.status === "Survived" || m.status === "NoCoverage");
  const known = survivors.filter((m) => equivalent.some((e) => e.mutant === id(m)));
  const counted =
    results.filter((m) => !["CompileError", "RuntimeError", "Ignored"].includes(m.status)).length - known.length;
  const killed = results.filter((m) => m.status === "Killed" || m.status === "Timeout").length;
  const score = counted ? (100 * killed) / counted : 100;
  rows.push(
    `step ${step.nn}: ${killed}/${counted} non-equivalent mutants killed (${score.toFixed(1)}%), ${known.length} equivalent, ${((performance.now() - start) / 1000).toFixed(0)} s`,
  );
  console.log(rows.at(-1));
  for (const m of survivors.filter((s) => !known.includes(s)))
    console.log(`  survived: ${id(m)} → ${JSON.stringify(m.replacement ?? "")} (line ${m.location.start.line})`);
}
console.log(`\n${rows.join("\n")}`);

/** The code a mutant changes, with runs of whitespace as one space (Stryker counts lines and columns from 1). */
function sourceText(file: string, { start, end }: { start: Position; end: Position }): string {
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .slice(start.line - 1, end.line);
  lines[lines.length - 1] = lines[lines.length - 1].slice(0, end.column - 1); // the end first: it may share the line
  lines[0] = lines[0].slice(start.column - 1);
  return lines.join("\n").replace(/\s+/g, " ");
}

interface Position {
  line: number;
  column: number;
}
