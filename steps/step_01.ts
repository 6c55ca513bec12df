// Step 01 · Model configuration
// Read book/src/step_01.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s01
// Stuck? npm run hint -- 01 gives three hints, each giving more away.
import { notImplemented } from "../lib/todo.ts";

/** The fields of a Hugging Face GPT-2 config.json that decide the model's shape. */
export interface GPT2ConfigOptions {
  vocab_size?: number;
  n_positions?: number;
  n_embd?: number;
  n_layer?: number;
  n_head?: number;
  n_inner?: number | null;
  layer_norm_epsilon?: number;
}

/** Throw this (with a clear message) for a configuration that cannot describe a GPT-2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export class GPT2Config {
  readonly vocab_size!: number;
  readonly n_positions!: number;
  readonly n_embd!: number;
  readonly n_layer!: number;
  readonly n_head!: number;
  readonly n_inner!: number | null;
  readonly layer_norm_epsilon!: number;

  constructor(options: GPT2ConfigOptions = {}) {
    // TODO: copy each option into its field, falling back to Hugging Face's defaults:
    //   vocab_size 50257, n_positions 1024, n_embd 768, n_layer 12, n_head 12,
    //   n_inner null, layer_norm_epsilon 1e-5.
    // TODO: throw a ConfigError when a size is not a positive integer, and when
    //   n_embd is not divisible by n_head (name both numbers in the message).
    throw notImplemented(
      "01",
      `GPT2Config constructor: fill in the fields from ${JSON.stringify(options)} and Hugging Face's defaults`,
    );
  }

  /** Width of one attention head (n_embd / n_head). */
  get headDim(): number {
    // TODO
    throw notImplemented("01", "GPT2Config.headDim: n_embd / n_head");
  }

  /** Width of the feed-forward hidden layer: n_inner, or 4 × n_embd when n_inner is null. */
  get innerDim(): number {
    // TODO
    throw notImplemented("01", "GPT2Config.innerDim: n_inner ?? 4 * n_embd");
  }

  /** Builds a config from a parsed Hugging Face config.json object. */
  static fromJSON(json: unknown): GPT2Config {
    // TODO: check that `json` is an object, pick out the fields above (ignore the other keys),
    //   accept the older name "n_ctx" for n_positions, and call the constructor.
    throw notImplemented(
      "01",
      `GPT2Config.fromJSON: build a config from ${typeof json === "object" ? "the object" : typeof json} you were given`,
    );
  }
}
