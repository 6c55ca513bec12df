// A small seeded random number generator, so initialisation and sampling reproduce exactly.
import { fromData, numel, type Shape, type Tensor } from "./tensor.ts";

/**
 * mulberry32: a 32-bit generator, fast and good enough for initialising weights and
 * sampling tokens. The same seed always gives the same sequence.
 */
export class Random {
  private state: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new TypeError(`Random: seed must be an integer, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A normally distributed number (Box–Muller, caching the second value of each pair). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    const u = 1 - this.uniform(); // in (0, 1], so log(u) is finite
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }
}

let skipping = false;

/**
 * Builds modules without drawing random numbers: inside `build`, randn and rand return zeros.
 * For counting parameters of a large model, or before loading a checkpoint that overwrites
 * every weight anyway (PyTorch's skip_init). Drawing GPT-2's 124M normals takes seconds.
 */
export function withoutInit<T>(build: () => T): T {
  const previous = skipping;
  skipping = true;
  try {
    return build();
  } finally {
    skipping = previous;
  }
}

/** A tensor of normal samples: randn([2, 3], rng, 0.02). */
export function randn(shape: Shape, rng: Random, std = 1): Tensor {
  const data = new Float32Array(numel(shape));
  if (skipping) return fromData(data, shape);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, std);
  return fromData(data, shape);
}

/** The generator layers use when none is passed. */
export const defaultRandom = new Random(0);
