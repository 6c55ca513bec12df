// The prompt rules that `npm run main`/`gpt2` and the server share: text is capped before it is
// tokenised (the one step whose time the prompt's size decides), and the ids must be in the
// model's vocabulary and fit its context. Each caller words the refusal its own way (a usage line,
// an HTTP 400 naming the field); the reason is the same.
import type { TextTokenizer } from "../../lib/tokenizer.ts";

/** GPT-2's longest tokens are a few dozen characters; 16 characters per position leaves ample room. */
export const PROMPT_CHARACTERS_PER_POSITION = 16;

/** A prompt the model cannot read; the message says why. */
export class PromptError extends Error {
  override name = "PromptError";
}

/** The prompt's token ids (a text is tokenised by the model's tokenizer; "<|endoftext|>" is the special token), checked against the model. */
export function promptIds(
  prompt: string | readonly number[],
  config: { vocab_size: number; n_positions: number },
  tokenizer: TextTokenizer,
): number[] {
  const { vocab_size, n_positions } = config;
  const most = PROMPT_CHARACTERS_PER_POSITION * n_positions;
  if (typeof prompt === "string" && prompt.length > most)
    throw new PromptError(
      `the prompt is ${prompt.length} characters; this model reads at most ${n_positions} tokens (at most ${most} characters are tokenised)`,
    );
  const ids = typeof prompt === "string" ? tokenizer.encode(prompt, { allowSpecial: true }) : [...prompt];
  if (ids.length === 0) throw new PromptError("the prompt is empty: give at least one token");
  const bad = ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < vocab_size));
  if (bad !== undefined)
    throw new PromptError(
      `token id ${bad} is out of range: this model's vocabulary has ${vocab_size} tokens (ids 0…${vocab_size - 1})`,
    );
  if (ids.length > n_positions)
    throw new PromptError(`the prompt is ${ids.length} tokens long; this model reads at most ${n_positions}`);
  return ids;
}
