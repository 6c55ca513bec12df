// A child of `npm run bench -- --train --train-memory` (tools/bench/train.ts): training steps at
// one of its shapes in a process of its own, so that the peak resident memory it prints, as JSON,
// is the training's and nothing else's.
//   tsx tools/bench/train-peak.ts SHAPE wasm|js THREADS
import { useKernels } from "../../lib/kernels/index.ts";
import { TRAIN_SHAPES, trainer } from "./train.ts";

const [key, backend, threads] = process.argv.slice(2);
const shape = TRAIN_SHAPES[key];
useKernels(backend as "wasm" | "js", Number(threads));
const { run, weightBytes } = trainer(shape);
await run(shape.steps);
console.log(JSON.stringify({ peakRssBytes: process.resourceUsage().maxRSS * 1024, weightBytes }));
