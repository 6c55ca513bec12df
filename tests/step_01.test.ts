// Step 01 · Model configuration — checks.
import { readFileSync } from "node:fs";
import { isNotImplemented } from "../lib/todo.ts";
import { Diagnosis, checksFor, expectEqual, expectError, loadStep } from "./harness.ts";

type Step = typeof import("../solutions/solution_01.ts");
const { GPT2Config } = await loadStep<Step>("01");
const check = checksFor("01");

const hfConfig = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`fixtures/hf_configs/${name}.json`, import.meta.url), "utf8"));

check(
  "defaults are Hugging Face GPT-2 (124M)",
  { section: "Defaults", hint: "Each missing option falls back to its default; use `??` so an explicit value wins." },
  () => {
    const c = new GPT2Config();
    const got = {
      vocab_size: c.vocab_size,
      n_positions: c.n_positions,
      n_embd: c.n_embd,
      n_layer: c.n_layer,
      n_head: c.n_head,
      n_inner: c.n_inner,
      layer_norm_epsilon: c.layer_norm_epsilon,
    };
    expectEqual("new GPT2Config()", got, {
      vocab_size: 50257,
      n_positions: 1024,
      n_embd: 768,
      n_layer: 12,
      n_head: 12,
      n_inner: null,
      layer_norm_epsilon: 1e-5,
    });
  },
);

check(
  "explicit options override the defaults",
  { section: "Defaults", hint: "Copy every option you are given; only fill in the ones that are missing." },
  () => {
    const c = new GPT2Config({
      vocab_size: 100,
      n_positions: 16,
      n_embd: 32,
      n_layer: 2,
      n_head: 4,
      n_inner: 48,
      layer_norm_epsilon: 1e-6,
    });
    expectEqual(
      "[vocab_size, n_positions, n_embd, n_layer, n_head, n_inner, layer_norm_epsilon]",
      [c.vocab_size, c.n_positions, c.n_embd, c.n_layer, c.n_head, c.n_inner, c.layer_norm_epsilon],
      [100, 16, 32, 2, 4, 48, 1e-6],
    );
    expectEqual("a config with only n_layer: 2 keeps the other defaults", new GPT2Config({ n_layer: 2 }).n_embd, 768);
  },
);

check(
  "headDim is n_embd / n_head",
  { section: "Derived sizes", hint: "768 / 12 = 64; each head sees an equal slice of the hidden vector." },
  () => {
    expectEqual("new GPT2Config().headDim", new GPT2Config().headDim, 64);
    expectEqual("GPT2Config({ n_embd: 32, n_head: 4 }).headDim", new GPT2Config({ n_embd: 32, n_head: 4 }).headDim, 8);
  },
);

check(
  "innerDim is 4 × n_embd unless n_inner is set",
  { section: "Derived sizes", hint: "n_inner null means 4 × n_embd (3072 for GPT-2)." },
  () => {
    expectEqual("new GPT2Config().innerDim", new GPT2Config().innerDim, 3072);
    expectEqual(
      "GPT2Config({ n_embd: 32, n_head: 4 }).innerDim",
      new GPT2Config({ n_embd: 32, n_head: 4 }).innerDim,
      128,
    );
    expectEqual("GPT2Config({ n_inner: 100 }).innerDim", new GPT2Config({ n_inner: 100 }).innerDim, 100);
  },
);

check(
  "rejects n_embd not divisible by n_head",
  { section: "Validation", hint: "Check n_embd % n_head !== 0 and throw a ConfigError that names both numbers." },
  async () => {
    await expectError(
      "new GPT2Config({ n_embd: 770, n_head: 12 })",
      () => new GPT2Config({ n_embd: 770, n_head: 12 }),
      [/770/, /12/, /divisib/i],
      "ConfigError",
    );
    await expectError(
      "new GPT2Config({ n_embd: 100, n_head: 3 })",
      () => new GPT2Config({ n_embd: 100, n_head: 3 }),
      [/100/, /3/],
      "ConfigError",
    );
  },
);

check(
  "rejects sizes that are not positive integers",
  {
    section: "Validation",
    hint: "Use Number.isInteger(value) && value > 0 for every size; name the field in the message.",
  },
  async () => {
    // `options.n_layer || 12` turns an explicit 0 into the default before validation can see it.
    let zero: number | undefined;
    try {
      zero = new GPT2Config({ n_layer: 0 }).n_layer;
    } catch (error) {
      if (isNotImplemented(error)) throw error; // a refusal is right; expectError below checks it
    }
    if (zero === 12)
      throw new Diagnosis(
        "new GPT2Config({ n_layer: 0 }).n_layer is 12: `||` replaced the 0 with the default before validation saw it.\nhint: use `??`, which fills in only null and undefined, and let validation reject the 0.",
        "Defaults",
      );
    await expectError(
      "new GPT2Config({ n_layer: 0 })",
      () => new GPT2Config({ n_layer: 0 }),
      [/n_layer/],
      "ConfigError",
    );
    await expectError(
      "new GPT2Config({ vocab_size: 10.5 })",
      () => new GPT2Config({ vocab_size: 10.5 }),
      [/vocab_size/],
      "ConfigError",
    );
    await expectError(
      "a string where a number belongs",
      () => new GPT2Config({ n_embd: "768" as unknown as number }),
      [/n_embd/],
      "ConfigError",
    );
  },
);

check(
  "rejects an n_inner that is not a positive integer or null, and a layer_norm_epsilon that is not a positive number",
  {
    section: "Validation",
    hint: 'n_inner: null or Number.isInteger(n) && n > 0; layer_norm_epsilon: typeof eps === "number" && eps > 0 (NaN fails that too). Name the field.',
  },
  async () => {
    for (const n_inner of [0, -4, 1.5])
      await expectError(
        `new GPT2Config({ n_inner: ${n_inner} })`,
        () => new GPT2Config({ n_inner }),
        [/n_inner/],
        "ConfigError",
      );
    expectEqual("new GPT2Config({ n_inner: 3000 }).innerDim", new GPT2Config({ n_inner: 3000 }).innerDim, 3000);
    for (const eps of [0, -1e-5, Number.NaN])
      await expectError(
        `new GPT2Config({ layer_norm_epsilon: ${eps} })`,
        () => new GPT2Config({ layer_norm_epsilon: eps }),
        [/layer_norm_epsilon/],
        "ConfigError",
      );
    await expectError(
      'new GPT2Config({ layer_norm_epsilon: "1e-5" })',
      () => new GPT2Config({ layer_norm_epsilon: "1e-5" as unknown as number }),
      [/layer_norm_epsilon/],
      "ConfigError",
    );
  },
);

check(
  "fromJSON reads Hugging Face config.json for all four GPT-2 sizes",
  {
    section: "Reading config.json",
    hint: "Pick the known keys out of the object and pass them to the constructor; ignore the rest.",
  },
  () => {
    const expected: Record<string, number[]> = {
      gpt2: [768, 12, 12],
      "gpt2-medium": [1024, 24, 16],
      "gpt2-large": [1280, 36, 20],
      "gpt2-xl": [1600, 48, 25],
    };
    for (const [name, [n_embd, n_layer, n_head]] of Object.entries(expected)) {
      const c = GPT2Config.fromJSON(hfConfig(name));
      expectEqual(
        `${name}: [n_embd, n_layer, n_head, vocab_size, n_positions, innerDim]`,
        [c.n_embd, c.n_layer, c.n_head, c.vocab_size, c.n_positions, c.innerDim],
        [n_embd, n_layer, n_head, 50257, 1024, 4 * n_embd],
      );
    }
  },
);

check(
  "fromJSON accepts the older key n_ctx and rejects what is not a config",
  {
    section: "Reading config.json",
    hint: "Use n_ctx when n_positions is absent; throw a ConfigError for null, arrays and non-objects.",
  },
  async () => {
    expectEqual("fromJSON({ n_ctx: 2048 }).n_positions", GPT2Config.fromJSON({ n_ctx: 2048 }).n_positions, 2048);
    expectEqual(
      "fromJSON({ n_positions: 1024, n_ctx: 2048 }).n_positions (n_positions wins)",
      GPT2Config.fromJSON({ n_positions: 1024, n_ctx: 2048 }).n_positions,
      1024,
    );
    await expectError("fromJSON(null)", () => GPT2Config.fromJSON(null), [/object/i, /null/], "ConfigError");
    await expectError("fromJSON([])", () => GPT2Config.fromJSON([]), [/object/i, /array/i], "ConfigError");
    await expectError('fromJSON("gpt2")', () => GPT2Config.fromJSON("gpt2"), [/object/i, /string/i], "ConfigError");
    await expectError(
      "fromJSON({ n_embd: 770 }) (770 is not divisible by 12)",
      () => GPT2Config.fromJSON({ n_embd: 770 }),
      [/770/],
      "ConfigError",
    );
  },
);
