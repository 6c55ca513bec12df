// A Hugging Face GPT-2 checkpoint on disk: a folder with config.json and model.safetensors.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { kernels } from "./kernels/index.ts";
import { readSafetensors, type SafetensorsFile, type TensorInfo } from "./safetensors.ts";

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

/**
 * How a checkpoint's matrices (its 2-D float tensors) are held in memory: "auto" keeps the ones
 * stored in bfloat16 as bfloat16 (lib/bf16.ts), "bf16" also rounds float32 ones to bfloat16 as
 * they are read (half the memory, and decoding reads half the bytes), "f32" widens every one to
 * float32 (as training wants). Vectors (biases, layer norms) are float32 in every case.
 */
export type WeightDtype = "auto" | "bf16" | "f32";
export const WEIGHT_DTYPES: readonly WeightDtype[] = ["auto", "bf16", "f32"];

let weightDtype: WeightDtype = fromEnv(process.env.GPT2_DTYPE);

function fromEnv(value: string | undefined): WeightDtype {
  if (value === undefined || value === "") return "auto";
  if (!(WEIGHT_DTYPES as readonly string[]).includes(value))
    throw new RangeError(`GPT2_DTYPE must be ${WEIGHT_DTYPES.join(", ")} or unset, got ${value}`);
  return value as WeightDtype;
}

/** Chooses how checkpoints read from now on hold their matrices (the CLIs' --dtype). */
export function useWeightDtype(dtype: WeightDtype): void {
  weightDtype = dtype;
}

/**
 * Hugging Face's GPT-2 stores the four projection weights of a block in its Conv1D layout, [in,
 * out]. The products read [out, in] rows twice as fast as that layout (`npm run bench`'s kernel
 * line), so they are held column by column: the same [in, out] tensor to step 15, whose transpose
 * is then [out, in] rows, with nothing copied at run time (and AdamW updates them in place).
 */
const CONV1D_SUFFIXES = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"];
const conv1d = ({ name }: TensorInfo) => CONV1D_SUFFIXES.some((suffix) => name.endsWith(suffix));

function heldAsBf16({ dtype, shape }: TensorInfo): boolean {
  if (shape.length !== 2) return false;
  return weightDtype === "bf16" || (weightDtype === "auto" && dtype === "BF16");
}

/**
 * The attention layers' causal masks (attn.bias, attn.masked_bias, 48 MiB in GPT-2 124M's file)
 * are buffers, not weights: step 15 drops them. In ordinary memory they go when dropped; in the
 * kernels' memory they would stay for good.
 */
function mask({ name }: TensorInfo): boolean {
  return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias");
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
    // A pipe or a device would block the read forever, or never end: only a file is a checkpoint.
    if (!statSync(file).isFile()) throw new CheckpointError(`${file} is not a regular file.`);
  }
  let configJSON: unknown;
  try {
    configJSON = JSON.parse(readFileSync(configPath, "utf8"));
  } catch (error) {
    throw new CheckpointError(`${configPath} is not valid JSON: ${(error as Error).message}`);
  }
  let weights: SafetensorsFile;
  try {
    // Straight into the kernels' memory, in blocks each memory can hold.
    const memory = kernels();
    weights = readSafetensors(weightsPath, (bytes) => memory.allocate(bytes), memory.allocationLimit, {
      bf16: heldAsBf16,
      columns: conv1d,
      apart: mask,
    });
  } catch (error) {
    throw new CheckpointError(`${weightsPath}: ${(error as Error).message}`);
  }
  checkSizes(configPath, configJSON, weights);
  return { dir, configJSON, weights };
}

/**
 * A config.json that describes a far larger model than the weights hold would make the model
 * allocate without bound before any shape is compared ("n_layer": 1000000): refuse it first.
 * Near misses (a layer too many) are left to the loader, which names the missing keys.
 */
function checkSizes(configPath: string, configJSON: unknown, weights: SafetensorsFile): void {
  const c = (typeof configJSON === "object" && configJSON !== null ? configJSON : {}) as Record<string, unknown>;
  const size = (key: string, fallback?: number) => (typeof c[key] === "number" ? (c[key] as number) : fallback);
  const [V, P, C, L] = [size("vocab_size"), size("n_positions"), size("n_embd"), size("n_layer")];
  if (V === undefined || P === undefined || C === undefined || L === undefined) return; // GPT2Config.fromJSON says what is missing
  const inner = size("n_inner", 4 * C) ?? 4 * C;
  const described = V * C + P * C + L * (4 * C * C + 2 * C * inner + 8 * C + inner) + 2 * C;
  const held = Object.values(weights.tensors).reduce((n, t) => n + t.size, 0);
  if (!(described <= 1.5 * held + 1e6))
    throw new CheckpointError(
      `${configPath} describes a model of ${described.toExponential(2)} parameters (n_layer ${L}, n_embd ${C}, vocab_size ${V}, n_positions ${P}) but model.safetensors holds ${held.toLocaleString("en-US")} numbers: the config does not belong to these weights.`,
    );
}
