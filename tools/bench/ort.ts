// `npm run bench -- --compare-ort` (tools/commands/bench.ts): onnxruntime-node, what transformers.js
// runs on and the fastest way a JavaScript program can run GPT-2 here, on the same checkpoint.
//
// It is not a dependency of the course: the first run installs it with npm into
// node_modules/.cache/compare-ort (its CPU library is in the npm package; its install script only
// fetches GPU libraries from elsewhere, so it is skipped), and exports the checkpoint to ONNX with
// the fixture generator's PyTorch model (scripts/export_onnx.py, Debian's python3-torch), cached
// beside it by the checkpoint's path, size and time. One graph does the prompt and each token.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ORT_VERSION = "1.30.0";
const root = fileURLToPath(new URL("../..", import.meta.url));
const cache = path.join(root, "node_modules", ".cache", "compare-ort");

interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
interface OrtModule {
  Tensor: new (type: string, data: BigInt64Array | Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: {
    create(file: string, options: Record<string, unknown>): Promise<OrtSessionHandle>;
  };
}
interface OrtSessionHandle {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}

/** onnxruntime-node, installed into the cache on first use. */
function onnxruntime(): OrtModule {
  const entry = path.join(cache, "node_modules", "onnxruntime-node", "package.json");
  if (!existsSync(entry)) {
    console.log(`installing onnxruntime-node ${ORT_VERSION} into ${cache} (once; not a dependency of the course)…`);
    execFileSync(
      "npm",
      ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", cache, `onnxruntime-node@${ORT_VERSION}`],
      { env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" }, stdio: ["ignore", "ignore", "inherit"] },
    );
  }
  return createRequire(entry)("onnxruntime-node") as OrtModule;
}

/** The checkpoint in `dir` as ONNX, exported once and kept in the cache. */
function exported(dir: string): string {
  const weights = realpathSync(path.join(dir, "model.safetensors"));
  const { size, mtimeMs } = statSync(weights);
  const key = createHash("sha256").update(`${weights} ${size} ${mtimeMs}`).digest("hex").slice(0, 16);
  const file = path.join(cache, "models", `${key}.onnx`);
  if (!existsSync(file)) {
    console.log(`exporting ${dir} to ONNX with PyTorch (once, a minute or two)…`);
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    execFileSync("/usr/bin/python3", [path.join(root, "scripts", "export_onnx.py"), "--model", dir, "--out", file], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
  }
  return file;
}

export interface OrtModel {
  version: string;
  loadS: number;
  /** Logits [vocab] at the last of `ids` with the cache grown by them (cache null: the prompt). */
  step(ids: number[], cache: OrtCache | null): Promise<{ logits: Float32Array; cache: OrtCache }>;
}

type OrtCache = Record<string, OrtTensor>;

/** Loads the checkpoint in `dir` into onnxruntime with `threads` threads (installing and exporting first if need be). */
export async function loadOrt(
  dir: string,
  threads: number,
  config: { n_layer: number; n_head: number; n_embd: number },
) {
  const ort = onnxruntime();
  const file = exported(dir);
  const start = performance.now();
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const loadS = (performance.now() - start) / 1000;
  const { n_layer, n_head, n_embd } = config;
  const kinds = Array.from({ length: n_layer }, (_, i) => [`key_${i}`, `value_${i}`]).flat();
  const empty = new ort.Tensor("float32", new Float32Array(0), [1, n_head, 0, n_embd / n_head]);
  const model: OrtModel = {
    version: ORT_VERSION,
    loadS,
    async step(ids, cache) {
      const feeds: Record<string, OrtTensor> = {
        ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
      };
      for (const kind of kinds) feeds[`past_${kind}`] = cache?.[kind] ?? empty;
      const out = await session.run(feeds);
      return {
        logits: out.logits.data as Float32Array,
        cache: Object.fromEntries(kinds.map((kind) => [kind, out[`present_${kind}`]])),
      };
    },
  };
  return model;
}
