// The models the CLIs know by name, where `npm run download` puts them, and how to say so.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where `npm run download -- NAME` puts a model. */
export const MODELS_DIR = "models";

/** The GPT-2 sizes on the Hugging Face hub, by the names the course uses. */
export const HUB_MODELS: Record<string, string> = {
  gpt2: "openai-community/gpt2",
  "gpt2-medium": "openai-community/gpt2-medium",
  "gpt2-large": "openai-community/gpt2-large",
  "gpt2-xl": "openai-community/gpt2-xl",
};

/** `--model` accepts a downloaded name (gpt2, …) or any folder with config.json + model.safetensors. */
export function resolveModelDir(model: string, root = process.cwd()): string {
  if (Object.hasOwn(HUB_MODELS, model)) return path.join(root, MODELS_DIR, model);
  return path.resolve(root, model);
}

/** The command that fetches a model (given by name or by its folder, e.g. models/gpt2-xl), for error messages. */
export function downloadHint(model: string): string {
  const name = path.basename(model);
  return Object.hasOwn(HUB_MODELS, name)
    ? `npm run download -- ${name}   (or, offline, train a small one: npm run train)`
    : `npm run download -- gpt2   (or point --model at a folder with config.json and model.safetensors)`;
}

/** Where `npm run train` puts the model it trains, and where the CLIs look when GPT-2 is not downloaded. */
export const TRAINED_MODEL = path.join(MODELS_DIR, "moby-gpt2");

/** The small GPT-2 that ships with the course: trained by `npm run train` on its default corpus, in bfloat16 (see its README). */
export const SHIPPED_MODEL = fileURLToPath(new URL("../../default-model", import.meta.url));

/**
 * The model to run when none is named: GPT-2 once downloaded, else the one `npm run train` made,
 * else the one shipped with the course. `note` says which, when it is not GPT-2.
 */
export function defaultModel(root = process.cwd(), shipped = SHIPPED_MODEL): { model: string; note?: string } {
  const has = (dir: string) => existsSync(path.join(path.resolve(root, dir), "model.safetensors"));
  if (has(path.join(MODELS_DIR, "gpt2"))) return { model: "gpt2" };
  if (has(TRAINED_MODEL))
    return {
      model: TRAINED_MODEL,
      note: `(running ${TRAINED_MODEL}, the small GPT-2 npm run train made; npm run download -- gpt2 fetches OpenAI's)`,
    };
  if (has(shipped))
    return {
      model: shipped,
      note: "(running default-model/, the small GPT-2 the course ships, trained on Moby-Dick and the State of the Union addresses: npm run train makes your own, npm run download -- gpt2 fetches OpenAI's)",
    };
  return { model: "gpt2" };
}
