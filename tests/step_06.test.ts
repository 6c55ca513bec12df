// Step 06 · Position embeddings — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import { loadFixture } from "./fixtures.ts";
import {
  checksFor,
  expectClose,
  expectCount,
  expectError,
  expectParameters,
  expectShape,
  loadStep,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_06.ts");
const { PositionEmbedding } = await loadStep<Step>("06");
const check = checksFor("06");
const fx = loadFixture("step_06");
const tiny = new GPT2Config(fx.config);

function loaded() {
  const wpe = new PositionEmbedding(tiny);
  wpe.loadStateDict({ weight: fx.f32("weight") });
  return wpe;
}

check(
  "parameters: weight [1024, 768], 786,432 in all",
  { section: "The position table", hint: "One row per position: a [n_positions, n_embd] tensor named weight." },
  () => {
    const wpe = new PositionEmbedding(new GPT2Config());
    expectParameters("PositionEmbedding(gpt2)", wpe, { weight: [1024, 768] });
    expectCount("PositionEmbedding(gpt2).numParameters()", wpe.numParameters(), 786_432);
  },
);

check(
  "positions 0…T−1 without a cache",
  { section: "Which rows", hint: "forward(T) returns rows 0 … T−1 of the table." },
  () => {
    expectClose("forward(5)", loaded().forward(5), fx.f32("y_past0"), fx.tolerance);
  },
);

check(
  "positions past…past+T−1 after past tokens",
  {
    section: "Which rows",
    hint: "With past tokens already processed, the new tokens sit at positions past … past+T−1.",
  },
  () => {
    expectClose("forward(5, 3)", loaded().forward(5, 3), fx.f32("y"), fx.tolerance);
  },
);

check(
  "shape [T, n_embd] for several lengths, up to the full context",
  { section: "Which rows", hint: "One row per new token; T + past may equal n_positions exactly." },
  () => {
    const wpe = loaded();
    for (const [T, past] of [
      [1, 0],
      [7, 2],
      [16, 0],
      [1, 15],
    ])
      expectShape(`forward(${T}, ${past})`, wpe.forward(T, past), [T, 16]);
  },
);

check(
  "T must be an integer ≥ 1 and past an integer ≥ 0",
  {
    section: "Which rows",
    hint: "Check Number.isInteger(T) && T >= 1 and Number.isInteger(past) && past >= 0 first; throw a RangeError that names the value.",
  },
  async () => {
    const wpe = loaded();
    await expectError("forward(0)", () => wpe.forward(0), [/\b0\b/], "RangeError");
    await expectError("forward(2.5)", () => wpe.forward(2.5), [/2\.5/], "RangeError");
    await expectError("forward(3, -1)", () => wpe.forward(3, -1), [/-1\b/], "RangeError");
    await expectError("forward(3, 1.5)", () => wpe.forward(3, 1.5), [/1\.5/], "RangeError");
  },
);

check(
  "past + T beyond n_positions gives a clear error",
  {
    section: "The context limit",
    hint: "GPT-2 has no row for position n_positions or beyond; throw an error that names past + T and n_positions.",
  },
  async () => {
    const wpe = loaded();
    await expectError("forward(10, 7) with n_positions 16", () => wpe.forward(10, 7), [/\b17\b/, /\b16\b/]);
    await expectError("forward(17)", () => wpe.forward(17), [/\b17\b/, /\b16\b/]);
  },
);
