// Modules: objects that own parameters and sub-modules, like PyTorch's nn.Module.
// Parameters are found by looking at a module's own fields, so the field names become the
// dotted paths of the state dict — the same paths as Hugging Face's checkpoint keys.
import { storage } from "./bf16.ts";
import { linear } from "./functional.ts";
import { defaultRandom, randn, type Random } from "./random.ts";
import { fmtShape, isTensor, zeros, type Tensor } from "./tensor.ts";

/** Where a parameter lives: `owner[key]` holds `tensor`, reachable as `name`. */
interface ParameterSlot {
  name: string;
  owner: Module;
  key: string;
  tensor: Tensor;
}

export class StateDictError extends Error {
  override name = "StateDictError";
}

/** Names one per line, the first 20 of a long list and how many more (a hostile file may hold 100,000). */
function listed(names: string[]): string {
  const more = names.length > 20 ? [`… and ${names.length - 20} more`] : [];
  return [...names.slice(0, 20), ...more].join("\n    ");
}

/**
 * Base class of every layer. A field holding a float32 tensor is a parameter; a field holding
 * a Module is a child whose parameters appear under `field.`. Field order is declaration order.
 */
export abstract class Module {
  /** Every parameter slot, depth first, in field order. A tied tensor appears under each of its names. */
  private parameterSlots(prefix = ""): ParameterSlot[] {
    const slots: ParameterSlot[] = [];
    for (const [key, value] of Object.entries(this)) {
      if (isTensor(value)) slots.push({ name: prefix + key, owner: this, key, tensor: value });
      else if (value instanceof Module) slots.push(...value.parameterSlots(`${prefix}${key}.`));
    }
    return slots;
  }

  /** [path, tensor] pairs, e.g. ["h.0.attn.c_attn.weight", …]. Tied tensors are listed under every name. */
  namedParameters(): [string, Tensor][] {
    return this.parameterSlots().map(({ name, tensor }) => [name, tensor]);
  }

  /** Each distinct parameter once (tied tensors count once, as in PyTorch's `parameters()`). */
  parameters(): Tensor[] {
    return [...new Set(this.parameterSlots().map((s) => s.tensor))];
  }

  /** Number of trainable numbers, counting shared (tied) arrays once. */
  numParameters(): number {
    const buffers = new Set<object>();
    let count = 0;
    for (const t of this.parameters()) {
      if (buffers.has(storage(t))) continue;
      buffers.add(storage(t));
      count += t.size;
    }
    return count;
  }

  /** Every parameter by path (tied tensors under each name, as PyTorch's `state_dict()`). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Loads parameters by path. `strict` (default) requires the keys to match exactly; shapes
   * must always match. By default values are copied into the existing arrays (so tied weights
   * stay tied); `assign: true` makes the module use the given tensors themselves (no copy).
   */
  loadStateDict(state: Record<string, Tensor>, { strict = true, assign = false } = {}): void {
    const slots = this.parameterSlots();
    const known = new Set(slots.map((s) => s.name));
    const missing = slots.filter((s) => !(s.name in state)).map((s) => s.name);
    const unexpected = Object.keys(state).filter((k) => !known.has(k));
    const wrongShape = slots
      .filter((s) => s.name in state && fmtShape(state[s.name].shape) !== fmtShape(s.tensor.shape))
      .map((s) => `${s.name}: checkpoint ${fmtShape(state[s.name].shape)}, model ${fmtShape(s.tensor.shape)}`);
    const problems: string[] = [];
    if (wrongShape.length) problems.push(`wrong shape (${wrongShape.length}):\n    ${listed(wrongShape)}`);
    if (strict && missing.length) problems.push(`missing keys (${missing.length}):\n    ${listed(missing)}`);
    if (strict && unexpected.length)
      problems.push(`unexpected keys (${unexpected.length}):\n    ${listed(unexpected)}`);
    if (problems.length)
      throw new StateDictError(
        `loadStateDict: the state dict does not fit ${this.constructor.name}:\n  ${problems.join("\n  ")}`,
      );

    for (const slot of slots) {
      const source = state[slot.name];
      if (!source) continue;
      if (assign) (slot.owner as unknown as Record<string, Tensor>)[slot.key] = source;
      else slot.tensor.data.set(source.data.subarray(source.offset, source.offset + source.size));
    }
  }
}

/** Holds an ordered list of modules; their paths are their indices ("h.0.attn…"). */
export class ModuleList<M extends Module> extends Module {
  [index: number]: M;
  readonly length: number;

  constructor(modules: readonly M[]) {
    super();
    modules.forEach((m, i) => {
      this[i] = m;
    });
    // Not enumerable, so it is not mistaken for a parameter or child.
    this.length = modules.length;
    Object.defineProperty(this, "length", { enumerable: false });
  }

  *[Symbol.iterator](): IterableIterator<M> {
    for (let i = 0; i < this.length; i++) yield this[i];
  }
}

export interface LinearOptions {
  bias?: boolean;
  rng?: Random;
  /** Standard deviation of the normal initialisation (GPT-2 uses 0.02). */
  std?: number;
}

/** y = x·Wᵀ + b with `weight` [out, in] and `bias` [out], like PyTorch's nn.Linear. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    { bias = true, rng = defaultRandom, std = 0.02 }: LinearOptions = {},
  ) {
    super();
    this.weight = randn([outFeatures, inFeatures], rng, std);
    this.bias = bias ? zeros([outFeatures]) : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
