// Which kernels the framework's matrix products run on. WebAssembly SIMD on every core by
// default; GPT2_KERNELS=js (or useKernels("js")) selects the plain JavaScript loops, and
// GPT2_THREADS=N (or useKernels("wasm", N)) the number of threads.
import type { Kernels } from "./gemm-job.ts";
import { availableParallelism } from "node:os";
import { jsKernels } from "./js.ts";
import { createWasmKernels, defaultThreads } from "./wasm.ts";

export type { BinaryOp, GemmJob, Kernels } from "./gemm-job.ts";

let active: Kernels | undefined;

/** The kernels in use, started on first use. */
export function kernels(): Kernels {
  active ??= process.env.GPT2_KERNELS === "js" ? jsKernels : createWasmKernels(defaultThreads());
  return active;
}

/**
 * Chooses the kernels for what follows (the CLIs' --threads). Tensors already placed in wasm
 * memory stay readable by either backend.
 */
export function useKernels(backend: "wasm" | "js", threads = defaultThreads()): Kernels {
  // More threads than cores only wait for each other (and each costs memory): 1000 would start 1000.
  const cores = availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > cores)
    throw new RangeError(`threads must be a whole number from 1 to ${cores} (this machine's cores), got ${threads}`);
  active?.close();
  active = backend === "js" ? jsKernels : createWasmKernels(threads);
  return active;
}
