// Step 01 · Model configuration — reference solution.
// GPT2Config holds the numbers that fix the model's shape, with Hugging Face's defaults
// (the 124M "gpt2" checkpoint) and the same field names as Hugging Face's config.json.

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

export class ConfigError extends Error {
  override name = "ConfigError";
}

const INTEGER_FIELDS = ["vocab_size", "n_positions", "n_embd", "n_layer", "n_head"] as const;

export class GPT2Config {
  /** Number of distinct tokens (rows of the token embedding). */
  readonly vocab_size: number;
  /** Longest sequence the model can read (rows of the position embedding). */
  readonly n_positions: number;
  /** Width of every hidden vector. */
  readonly n_embd: number;
  /** Number of transformer blocks. */
  readonly n_layer: number;
  /** Number of attention heads; each works on n_embd / n_head dimensions. */
  readonly n_head: number;
  /** Width of the feed-forward hidden layer; null means 4 × n_embd. */
  readonly n_inner: number | null;
  /** Added to the variance inside layer norm's square root. */
  readonly layer_norm_epsilon: number;

  constructor(options: GPT2ConfigOptions = {}) {
    this.vocab_size = options.vocab_size ?? 50257;
    this.n_positions = options.n_positions ?? 1024;
    this.n_embd = options.n_embd ?? 768;
    this.n_layer = options.n_layer ?? 12;
    this.n_head = options.n_head ?? 12;
    this.n_inner = options.n_inner ?? null;
    this.layer_norm_epsilon = options.layer_norm_epsilon ?? 1e-5;

    for (const field of INTEGER_FIELDS) {
      const value = this[field];
      if (!Number.isInteger(value) || value <= 0) {
        throw new ConfigError(`GPT2Config: ${field} must be a positive integer, got ${JSON.stringify(value)}`);
      }
    }
    if (this.n_inner !== null && (!Number.isInteger(this.n_inner) || this.n_inner <= 0)) {
      throw new ConfigError(
        `GPT2Config: n_inner must be a positive integer or null, got ${JSON.stringify(this.n_inner)}`,
      );
    }
    if (typeof this.layer_norm_epsilon !== "number" || !(this.layer_norm_epsilon > 0)) {
      throw new ConfigError(
        `GPT2Config: layer_norm_epsilon must be a positive number, got ${JSON.stringify(this.layer_norm_epsilon)}`,
      );
    }
    // Every head gets an equal slice of the hidden vector, so n_embd must split evenly.
    if (this.n_embd % this.n_head !== 0) {
      throw new ConfigError(
        `GPT2Config: n_embd (${this.n_embd}) must be divisible by n_head (${this.n_head}) so that every head gets the same width`,
      );
    }
  }

  /** Width of one attention head: 768 / 12 = 64 for GPT-2. */
  get headDim(): number {
    return this.n_embd / this.n_head;
  }

  /** Width of the feed-forward hidden layer: n_inner, or 4 × n_embd when n_inner is null. */
  get innerDim(): number {
    return this.n_inner ?? 4 * this.n_embd;
  }

  /**
   * Builds a config from a parsed Hugging Face config.json. Keys that do not shape the model
   * (architectures, task_specific_params, …) are ignored; older files name n_positions "n_ctx".
   */
  static fromJSON(json: unknown): GPT2Config {
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new ConfigError(
        `GPT2Config.fromJSON: expected a JSON object, got ${json === null ? "null" : Array.isArray(json) ? "an array" : typeof json}`,
      );
    }
    const source = json as Record<string, unknown>;
    const options: Record<string, unknown> = {};
    for (const field of [...INTEGER_FIELDS, "n_inner", "layer_norm_epsilon"] as const) {
      if (source[field] !== undefined) options[field] = source[field];
    }
    if (options.n_positions === undefined && source.n_ctx !== undefined) options.n_positions = source.n_ctx;
    return new GPT2Config(options as GPT2ConfigOptions);
  }
}
