// The models the CLIs know by name, where `npm run download` puts them, and how to say so.
import path from "node:path";

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
  if (model in HUB_MODELS) return path.join(root, MODELS_DIR, model);
  return path.resolve(root, model);
}

/** The command that fetches a model (given by name or by its folder, e.g. models/gpt2-xl), for error messages. */
export function downloadHint(model: string): string {
  const name = path.basename(model);
  return name in HUB_MODELS
    ? `npm run download -- ${name}`
    : `npm run download -- gpt2   (or point --model at a folder with config.json and model.safetensors)`;
}
