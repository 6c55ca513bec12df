// OpenAI's completions endpoint over the course's model, as the HTTP thread sees it: POST
// /v1/completions with a prompt, max_tokens, temperature, seed, logprobs and stream, checked and
// answered in OpenAI's shapes, so curl and existing clients work. The tokens themselves are drawn
// on the model's thread (model-worker.ts).
import type { GPT2LMHeadModel } from "#chain/step_13";
import type { TextTokenizer } from "../../lib/tokenizer.ts";
import { PromptError, promptIds } from "../cli/prompt.ts";
import type { Candidate } from "../figures/inspect.ts";

/** A request the client got wrong: answered with `status` and OpenAI's error shape, naming the field. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly param: string | null,
    message: string,
  ) {
    super(message);
  }
}

export interface CompletionRequest {
  ids: number[];
  maxTokens: number;
  temperature: number;
  seed: number;
  stream: boolean;
  /** How many candidates to report per token (OpenAI's `logprobs`); 0 for none. */
  logprobs: number;
  stop: boolean;
}

/** OpenAI completion fields the server leaves out, with the value that means "not used". */
const NOT_IMPLEMENTED: Record<string, unknown> = {
  n: 1,
  best_of: 1,
  echo: false,
  stop: null,
  suffix: null,
  top_p: 1,
  presence_penalty: 0,
  frequency_penalty: 0,
  logit_bias: null,
};

/** The sizes a request is checked against. */
export type ModelLimits = Pick<GPT2LMHeadModel["config"], "vocab_size" | "n_positions">;

/** Checks a parsed JSON body against the model, field by field, in OpenAI's terms. */
export function parseRequest(body: unknown, limits: ModelLimits, tokenizer: TextTokenizer): CompletionRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new RequestError(400, null, 'the body must be a JSON object, e.g. {"prompt": "Hello", "max_tokens": 16}');
  const b = body as Record<string, unknown>;
  // OpenAI's fields this server does not implement: answered, not silently ignored (their
  // defaults are fine, so a client that sends them as is still works).
  for (const [field, neutral] of Object.entries(NOT_IMPLEMENTED))
    if (b[field] !== undefined && b[field] !== null && b[field] !== neutral)
      throw new RequestError(
        400,
        field,
        `${field} is not supported by this server (only ${JSON.stringify(neutral)}, OpenAI's default)`,
      );
  if (!(typeof b.prompt === "string" || (Array.isArray(b.prompt) && b.prompt.every((id) => Number.isInteger(id)))))
    throw new RequestError(400, "prompt", "prompt must be a string or an array of token ids");
  let ids: number[];
  try {
    ids = promptIds(b.prompt as string | number[], limits, tokenizer);
  } catch (error) {
    if (!(error instanceof PromptError)) throw error;
    throw new RequestError(400, "prompt", error.message);
  }
  const integer = (name: string, fallback: number, low: number, high: number) => {
    const v = b[name] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < low || v > high)
      throw new RequestError(400, name, `${name} must be an integer from ${low} to ${high}, got ${JSON.stringify(v)}`);
    return v;
  };
  const temperature = b.temperature ?? 1;
  // Below 1e-6, logits / temperature overflow float32 to ∞ and every probability is NaN: 0 is greedy.
  if (typeof temperature !== "number" || !(temperature === 0 || (temperature >= 1e-6 && temperature <= 2)))
    throw new RequestError(
      400,
      "temperature",
      `temperature must be 0 (greedy) or a number from 1e-6 to 2, got ${JSON.stringify(temperature)}`,
    );
  for (const flag of ["stream", "stop_at_eot"])
    if (b[flag] !== undefined && typeof b[flag] !== "boolean")
      throw new RequestError(400, flag, `${flag} must be true or false, got ${JSON.stringify(b[flag])}`);
  return {
    ids,
    maxTokens: integer("max_tokens", 16, 0, 100_000),
    temperature,
    seed: integer("seed", 0, 0, 2 ** 31 - 1),
    stream: b.stream === true,
    logprobs: b.logprobs === null ? 0 : integer("logprobs", 0, 0, 20),
    stop: b.stop_at_eot === true,
  };
}

/** A token as the model's thread drew it. */
export interface GeneratedToken {
  id: number;
  /** Its probability in the distribution it was drawn from (NaN unless logprobs were asked for). */
  probability: number;
  /** The likeliest candidates of the distribution it was drawn from (empty unless asked for). */
  top: Candidate[];
}

/** OpenAI's `logprobs` object for some tokens (natural logarithms of the probabilities). */
export function logprobsOf(tokens: readonly GeneratedToken[], tokenizer: TextTokenizer) {
  return {
    tokens: tokens.map((t) => tokenizer.decode([t.id])),
    token_logprobs: tokens.map((t) => Math.log(t.probability)),
    top_logprobs: tokens.map((t) =>
      Object.fromEntries(t.top.map((c) => [tokenizer.decode([c.id]), Math.log(c.probability)])),
    ),
  };
}
