// A Hugging Face GPT-2 checkpoint on disk: a folder with config.json and model.safetensors.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { kernels } from "./kernels/index.ts";
import { readSafetensors, type SafetensorsFile } from "./safetensors.ts";

export class CheckpointError extends Error {
  override name = "CheckpointError";
  constructor(
    message: string,
    /** True when files are not there at all (a model not downloaded yet), false when they are bad. */
    readonly missing = false,
  ) {
    super(message);
  }
}

export interface CheckpointFiles {
  dir: string;
  /** The parsed config.json, to be read by GPT2Config.fromJSON. */
  configJSON: unknown;
  weights: SafetensorsFile;
}

/** Reads config.json and model.safetensors from `dir`, with errors that say what to do. */
export function readCheckpoint(dir: string): CheckpointFiles {
  const configPath = path.join(dir, "config.json");
  const weightsPath = path.join(dir, "model.safetensors");
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CheckpointError(`no model at ${dir}.`, true);
  for (const file of [configPath, weightsPath]) {
    if (!existsSync(file)) throw new CheckpointError(`${file} is missing (an interrupted download?).`, true);
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
    return {
      dir,
      configJSON,
      weights: readSafetensors(weightsPath, (bytes) => memory.allocate(bytes), memory.allocationLimit),
    };
  } catch (error) {
    throw new CheckpointError(`${weightsPath}: ${(error as Error).message}`);
  }
}
