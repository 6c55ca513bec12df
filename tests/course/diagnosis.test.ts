// A failed value check names the classic mistake the learner's output matches: the fixture
// generator stores PyTorch's output for each recorded mistake beside the reference.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadFixture, recognisedMistake } from "../fixtures.ts";
import { expectClose, values } from "../harness.ts";

const manifest = JSON.parse(readFileSync(new URL("../fixtures/manifest.json", import.meta.url), "utf8")) as {
  steps: Record<string, { mistakes: { name: string; outputs: Record<string, string> }[] }>;
};

describe("naming the mistake", () => {
  it("every stored mistaken output is recognised as its own mistake (or one that computes the same numbers)", () => {
    let checked = 0;
    for (const [step, entry] of Object.entries(manifest.steps)) {
      const fx = loadFixture(step);
      for (const mistake of entry.mistakes) {
        for (const [reference, stored] of Object.entries(mistake.outputs)) {
          // Token ids (steps 14, 23, 24: ids, code points) are int32; everything else float32.
          const get = (name: string) => {
            try {
              return fx.f32(name);
            } catch {
              return fx.i32(name);
            }
          };
          const expected = get(reference);
          const mistaken = get(stored);
          if (values(mistaken).every((v, i) => v === values(expected)[i])) continue; // identical to the reference for this case
          const named = recognisedMistake(expected, values(mistaken));
          expect(named, `${step}: the stored output of "${mistake.name}" for ${reference}`).not.toBeNull();
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it("a failing comparison says which mistake the output matches, and says nothing when none does", () => {
    const fx = loadFixture("step_03");
    const unbiased = fx.f32(fx.mistakes.find((m) => m.name === "unbiased variance")!.outputs.y);
    expect(() => expectClose("LayerNorm(16).forward(x)", unbiased, fx.f32("y"), fx.tolerance)).toThrow(
      /it matches what PyTorch computes for a classic mistake — unbiased variance: divides by n-1 instead of n/,
    );
    const other = fx.f32("x");
    let message = "";
    try {
      expectClose("x", other, fx.f32("y"), fx.tolerance);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/does not match the PyTorch reference/);
    expect(message).not.toMatch(/classic mistake/);
  });
});
