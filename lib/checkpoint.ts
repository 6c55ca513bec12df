// A Hugging Face GPT-2 checkpoint on disk: a folder with config.json and model.safetensors.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { kernels } from "./kernels/index.ts";
import { readSafetensors, type SafetensorsFile } from "./safetensors.ts";

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

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

export interface CheckpointFiles {
  dir: string;
  /** The parsed config.json, to be read by GPT2Config.fromJSON. */
  configJSON: unknown;
  weights: SafetensorsFile;
}

/** The command that fetches a model (given by name or by its folder, e.g. models/gpt2-xl), for error messages. */
export function downloadHint(model: string): string {
  const name = path.basename(model);
  return name in HUB_MODELS ? `npm run download -- ${name}` : `npm run download -- gpt2   (or point --model at a folder with config.json and model.safetensors)`;
}

/** Reads config.json and model.safetensors from `dir`, with errors that say what to do. */
export function readCheckpoint(dir: string): CheckpointFiles {
  const configPath = path.join(dir, "config.json");
  const weightsPath = path.join(dir, "model.safetensors");
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CheckpointError(`no model at ${dir}. Download it with:\n  ${downloadHint(dir)}`);
  for (const file of [configPath, weightsPath]) {
    if (!existsSync(file)) throw new CheckpointError(`${file} is missing (an interrupted download?). Fetch it with:\n  ${downloadHint(dir)}`);
  }
  let configJSON: unknown;
  try {
    configJSON = JSON.parse(readFileSync(configPath, "utf8"));
  } catch (error) {
    throw new CheckpointError(`${configPath} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    // Straight into the kernels' memory, in blocks each memory can hold.
    const memory = kernels();
    return { dir, configJSON, weights: readSafetensors(weightsPath, (bytes) => memory.allocate(bytes), memory.allocationLimit) };
  } catch (error) {
    throw new CheckpointError(`${weightsPath}: ${(error as Error).message}`);
  }
}
