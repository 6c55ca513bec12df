import { describe, expect, it } from "vitest";
import { Linear, Module, ModuleList, StateDictError } from "../../lib/nn.ts";
import { Random, randn } from "../../lib/random.ts";
import { tensor, toNested, zeros, type Tensor } from "../../lib/tensor.ts";

class Block extends Module {
  c_fc = new Linear(4, 8);
  c_proj = new Linear(8, 4, { bias: false });
}

/** A table of rows, as step 05's TokenEmbedding holds one. */
class Table extends Module {
  weight = randn([10, 4], new Random(0));
}

class Tiny extends Module {
  wte = new Table();
  h = new ModuleList([new Block(), new Block()]);
  lm_head = new Linear(4, 10, { bias: false });
  constructor() {
    super();
    this.lm_head.weight = this.wte.weight; // tied, as GPT-2 does
  }
}

describe("Module", () => {
  it("names parameters with dotted paths in field order", () => {
    expect(new Tiny().namedParameters().map(([name]) => name)).toEqual([
      "wte.weight",
      "h.0.c_fc.weight",
      "h.0.c_fc.bias",
      "h.0.c_proj.weight",
      "h.1.c_fc.weight",
      "h.1.c_fc.bias",
      "h.1.c_proj.weight",
      "lm_head.weight",
    ]);
  });

  it("counts tied parameters once", () => {
    const m = new Tiny();
    const block = 4 * 8 + 8 + 8 * 4;
    expect(m.numParameters()).toBe(10 * 4 + 2 * block);
    expect(m.parameters().length).toBe(7);
    m.lm_head.weight = zeros([10, 4]); // untie
    expect(m.numParameters()).toBe(2 * 10 * 4 + 2 * block);
  });

  it("stateDict round-trips through loadStateDict, copying values and keeping ties", () => {
    const a = new Tiny();
    const b = new Tiny();
    const rng = new Random(7);
    for (const [, t] of a.namedParameters()) t.data.set(randn(t.shape, rng).data);
    a.lm_head.weight = a.wte.weight;
    b.loadStateDict(a.stateDict());
    expect(toNested(b.h[1].c_fc.bias!)).toEqual(toNested(a.h[1].c_fc.bias!));
    expect(b.lm_head.weight).toBe(b.wte.weight);
    expect(b.wte.weight.data).not.toBe(a.wte.weight.data);
  });

  it("loadStateDict with assign uses the given tensors", () => {
    const a = new Tiny();
    const b = new Tiny();
    b.loadStateDict(a.stateDict(), { assign: true });
    expect(b.h[0].c_fc.weight).toBe(a.h[0].c_fc.weight);
  });

  it("loadStateDict lists missing, unexpected and wrong-shape keys together", () => {
    const sd: Record<string, Tensor> = new Tiny().stateDict();
    delete sd["h.1.c_fc.bias"];
    sd["h.9.extra"] = zeros([1]);
    sd["h.0.c_fc.weight"] = zeros([4, 8]);
    let message = "";
    try {
      new Tiny().loadStateDict(sd);
    } catch (error) {
      expect(error).toBeInstanceOf(StateDictError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/missing keys \(1\):\s+h\.1\.c_fc\.bias/);
    expect(message).toMatch(/unexpected keys \(1\):\s+h\.9\.extra/);
    expect(message).toMatch(/h\.0\.c_fc\.weight: checkpoint \[4, 8\], model \[8, 4\]/);
  });

  it("a list of 100,000 unexpected keys is shown as its first 20 and a count", () => {
    const sd: Record<string, Tensor> = new Tiny().stateDict();
    for (let i = 0; i < 100_000; i++) sd[`junk.${i}`] = zeros([1]);
    const message = (() => {
      try {
        new Tiny().loadStateDict(sd);
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toMatch(/unexpected keys \(100000\):\s+junk\.0\n[\s\S]*junk\.19\n\s+… and 99980 more/);
    expect(message.split("\n").length).toBeLessThan(30);
  });

  it("non-strict loading ignores missing and unexpected keys but not shapes", () => {
    const m = new Tiny();
    m.loadStateDict({ "wte.weight": zeros([10, 4]), other: zeros([1]) }, { strict: false });
    expect(m.wte.weight.get(3, 3)).toBe(0);
    expect(() => m.loadStateDict({ "wte.weight": zeros([2, 2]) }, { strict: false })).toThrow(/wrong shape/);
  });
});

describe("layers", () => {
  it("Linear has weight [out, in], zero bias, and computes x·Wᵀ + b", () => {
    const l = new Linear(3, 2);
    expect(l.weight.shape).toEqual([2, 3]);
    expect(toNested(l.bias!)).toEqual([0, 0]);
    l.weight = tensor([
      [1, 0, 0],
      [0, 0, 2],
    ]);
    expect(toNested(l.forward(tensor([[[1, 2, 3]]])))).toEqual([[[1, 6]]]);
  });

  it("initialisation is reproducible with a seeded generator", () => {
    const a = new Linear(4, 4, { rng: new Random(3) });
    const b = new Linear(4, 4, { rng: new Random(3) });
    expect(toNested(a.weight)).toEqual(toNested(b.weight));
  });
});
