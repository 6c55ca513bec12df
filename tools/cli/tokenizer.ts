// Which tokenizer a command uses for a model: the model folder's own vocab.json and merges.txt
// (Hugging Face's GPT-2 files, as `npm run train -- --vocab N` writes them) or, without them,
// GPT-2's; read by step 23's Tokenizer — yours on `--chain=mine` once `npm run s23` has passed
// it, else the reference's.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type BPEFiles, type BPEFilesText, END_OF_TEXT, gpt2Files, parseBPEFiles } from "../../lib/bpe.ts";
import { CheckpointError } from "../../lib/checkpoint.ts";
import type { TextTokenizer } from "../../lib/tokenizer.ts";
import type { Chain } from "../runner/chain.ts";
import { cached, readProgress } from "../runner/state.ts";

export const TOKENIZER_FILES = ["vocab.json", "merges.txt"] as const;

export interface ModelTokenizer {
  tokenizer: TextTokenizer;
  /** The model's own files; null when it uses GPT-2's. */
  own: BPEFiles | null;
  /** The id of <|endoftext|>. */
  endOfText: number;
  vocabSize: number;
  /** For the line every command prints: "GPT-2's tokenizer (the reference step 23)". */
  description: string;
}

/** The folder's tokenizer files, or null when it has neither; one of the two alone, or a bad one, is a CheckpointError. */
export function readTokenizerFiles(dir: string): BPEFiles | null {
  const [vocabPath, mergesPath] = TOKENIZER_FILES.map((name) => path.join(dir, name));
  const present = [vocabPath, mergesPath].filter((file) => existsSync(file));
  if (present.length === 0) return null;
  if (present.length === 1)
    throw new CheckpointError(
      `${dir} has ${path.basename(present[0])} but not ${present[0] === vocabPath ? "merges.txt" : "vocab.json"}: a tokenizer needs both (or neither, for GPT-2's).`,
    );
  try {
    const files = parseBPEFiles(readFileSync(vocabPath, "utf8"), readFileSync(mergesPath, "utf8"));
    if (!files.vocab.has(END_OF_TEXT)) throw new Error(`vocab.json has no ${END_OF_TEXT}`);
    return files;
  } catch (error) {
    throw new CheckpointError(`${dir}'s tokenizer files are damaged: ${(error as Error).message}`);
  }
}

/** Whether `npm run s23` passed the learner's step 23 as it is now (from .progress, not re-run). */
function yourStepPassed(): boolean {
  return cached(readProgress(), "23")?.status === "passed";
}

/** The tokenizer for the model in `dir` (null: GPT-2's): its own files, else GPT-2's. */
export function tokenizerFor(dir: string | null, chain: Chain): Promise<ModelTokenizer> {
  const files = dir === null ? null : readTokenizerFiles(dir);
  return buildTokenizer(files && { files, name: `${path.basename(dir!)}'s own tokenizer` }, chain);
}

/**
 * Step 23's Tokenizer over `own` files (null: GPT-2's). On `chain` mine the step is yours when
 * `npm run s23` has passed it, and the description says why when it is not.
 */
export async function buildTokenizer(
  own: { files: BPEFiles; name: string } | null,
  chain: Chain,
): Promise<ModelTokenizer> {
  const files = own?.files ?? gpt2Files();
  const yours = chain === "mine" && yourStepPassed();
  // On your chain "#chain/step_23" is steps/step_23.ts; the reference is imported by its path.
  const { Tokenizer } = yours ? await import("#chain/step_23") : await import("../../solutions/solution_23.ts");
  const which = own ? `${own.name} (${files.vocab.size.toLocaleString("en-US")} tokens)` : "GPT-2's tokenizer";
  const by = yours
    ? "your step 23"
    : chain === "mine"
      ? "the reference step 23: yours has not passed npm run s23 as it is now"
      : "the reference step 23";
  return {
    tokenizer: new Tokenizer(files),
    own: own?.files ?? null,
    endOfText: files.vocab.get(END_OF_TEXT)!,
    vocabSize: files.vocab.size,
    description: `${which}, by ${by}`,
  };
}

/** Writes a tokenizer's files (formatBPEFiles's text) into a model folder, as Hugging Face's GPT-2 has them. */
export function writeTokenizerFiles(dir: string, { vocabJson, mergesTxt }: BPEFilesText): void {
  writeFileSync(path.join(dir, "vocab.json"), vocabJson);
  writeFileSync(path.join(dir, "merges.txt"), mergesTxt);
}
