// Large float arrays for the results of operations, with their memory used again once the
// program has dropped them.
//
// Why: the first write to freshly allocated memory makes the operating system map and zero it,
// one 4 KiB page at a time. On the course's reference machine (a virtual machine) that costs
// about 3 ms per MB — more than the arithmetic of most operations — and training makes the same
// few large arrays at every step (at `npm run train`'s default shape the logits and their
// softmax are 103 MB each). So an array of at least RECYCLE_MIN floats is remembered, weakly,
// with its buffer; once the garbage collector has found the array unreachable, the next request
// of that size gets its buffer back, already mapped.
//
// The collector runs when V8 sees fit, and V8 does not count recycled memory towards the
// pressure that makes it run. So when a request finds nothing to recycle while arrays of its size
// are out, it asks for a collection at once: 20–30 ms measured during training, against ~300 ms
// to map 100 MB afresh. A training step is one long synchronous run (a "job"), and the
// collector's findings normally reach a FinalizationRegistry only after the job; Node 20's V8
// hands them over on demand (cleanupSome, behind a flag), so arrays a step drops are used again
// within the step, with a collection at most every COLLECT_AFTER bytes. Where a runtime lacks
// cleanupSome, a WeakRef per array lets one collection per job find the dropped ones (a WeakRef
// keeps its array alive until the job ends, so a second would find nothing more).
//
// The one rule this asks of the framework: a second view of a result's buffer (new
// Float32Array(t.data.buffer), t.data.subarray(…)) must not outlive the array itself. Code here
// only makes such views for the length of a call.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Smaller arrays are left to the C library: 32 MiB. glibc serves a request below its mmap
 * threshold (which grows with use up to 32 MiB) from memory it already holds and keeps, so those
 * pages are mapped already, and any later request of any size can reuse them. Recycling them
 * here only pinned memory to one size: fine-tuning GPT-2 124M, from 1 MiB up it kept the dropped
 * activations idle through the backward pass (peak 2.65 → 2.51 GiB at 8 × 64 with this bound).
 */
const RECYCLE_MIN = 1 << 23;
/**
 * Buffers kept for reuse, in bytes at most; beyond it new arrays are plain ones. 512 MiB holds a
 * training step's large arrays at `npm run train`'s shape (three of 103 MB); at GPT-2 124M's,
 * 2 GiB kept 1.7 GB of dropped gradients and activations idle (peak 5.0 GB against 3.3 without).
 */
const KEEP_BYTES = 2 ** 29;
/**
 * Bytes handed out between two collections this module asks for where it may ask more than once a
 * job: a collection costs 20–30 ms. Once per GiB is as fast as once per job at `npm run train`'s
 * shape (every 128 MiB cost ~7%), and at GPT-2 124M's took the peak from 3.3 to 3.0 GiB.
 */
const COLLECT_AFTER = 2 ** 30;

/**
 * A collection now, where the runtime lets a program ask for one (V8's gc, as the recycler's): for a
 * thread that has made a lot of garbage and will now idle, when V8 would not look at it again.
 */
export function collectGarbage(): void {
  collector().gc?.();
}

/** A buffer handed out; where the runtime cannot run finalizers on demand, with its array, weakly. */
interface Lease {
  buffer: ArrayBuffer;
  array?: WeakRef<Float32Array>;
}

/** Every buffer kept, by byte length: out (maybe still in use) or free. */
const leases = new Map<number, Set<Lease>>();
const free = new Map<number, ArrayBuffer[]>();
let keptBytes = 0;
/** Bytes handed out since the last collection this module asked for. */
let handedOut = 0;
/** Whether a request collects whenever two arrays of its size are out already (preferLowPeak). */
let lowPeak = false;

/**
 * For a large model, whose peak matters more than 20–30 ms a step: a request that finds nothing to
 * recycle while two arrays of its size are out then collects at once, rather than after
 * COLLECT_AFTER more bytes. Fine-tuning GPT-2 124M, the loss's log-probabilities, dropped just
 * before the logits' gradient is made, otherwise stay uncollected and keep a third buffer of the
 * logits' size: peak 4.59× → 4.43× the checkpoint file. At `npm run train`'s shape the same
 * collections cost 2–9% of the speed, and memory is plentiful.
 */
export function preferLowPeak(on: boolean): void {
  lowPeak = on;
}

/** A Float32Array of n numbers whose contents are unspecified: for callers that write every element. */
export function uninitialized(n: number): Float32Array {
  return (n >= RECYCLE_MIN && recycled(n)) || fresh(n);
}

/** A Float32Array of n zeros (as new Float32Array(n)), from recycled memory when there is some. */
export function zeroed(n: number): Float32Array {
  return (n >= RECYCLE_MIN && recycled(n)?.fill(0)) || fresh(n);
}

/** A dropped array's memory as a new array of n floats, if there is one. */
function recycled(n: number): Float32Array | undefined {
  const bytes = n * 4;
  const buffer = free.get(bytes)?.pop() ?? (leases.get(bytes)?.size ? reclaimed(bytes) : undefined);
  return buffer && track(new Float32Array(buffer));
}

/** A buffer of `bytes` whose array the collector has found unreachable (collecting first if that is worth it). */
function reclaimed(bytes: number): ArrayBuffer | undefined {
  const { gc, registry, cleanupSome } = collector();
  cleanupSome?.call(registry); // what V8's own collections have found since
  const buffer = free.get(bytes)?.pop();
  if (buffer || !gc || !mayCollect(lowPeak && (leases.get(bytes)?.size ?? 0) >= 2)) return buffer;
  gc();
  if (!cleanupSome) return collected(bytes);
  cleanupSome.call(registry);
  return free.get(bytes)?.pop();
}

/**
 * Whether to collect now: once per job; again in the same job only where cleanupSome lets a
 * collection find arrays dropped during it (a training step is one long job), and once
 * COLLECT_AFTER bytes have been handed out since the last, or at once when `crowded`.
 */
function mayCollect(crowded: boolean): boolean {
  const again = collector().cleanupSome !== undefined && (crowded || handedOut >= COLLECT_AFTER);
  if (collectedThisJob && !again) return false;
  if (!collectedThisJob) {
    collectedThisJob = true;
    queueMicrotask(() => {
      collectedThisJob = false;
    });
  }
  handedOut = 0;
  return true;
}

/**
 * Without cleanupSome: the buffer of an array of `bytes` that this job's collection found
 * unreachable, before its finalizer has run (finalizers wait for the job to end). Only after the
 * collection: deref() keeps its array alive to the job's end.
 */
function collected(bytes: number): ArrayBuffer | undefined {
  const { registry } = collector();
  const out = leases.get(bytes) ?? new Set<Lease>();
  for (const lease of out) {
    if (lease.array?.deref() !== undefined) continue;
    registry.unregister(lease); // found here: its finalizer must not free it a second time
    out.delete(lease);
    return lease.buffer;
  }
  return undefined;
}

/** A new array of n zeros, remembered for reuse if it is large and there is room (made, if need be). */
function fresh(n: number): Float32Array {
  const array = new Float32Array(n);
  if (n < RECYCLE_MIN) return array;
  evict(keptBytes + array.byteLength - KEEP_BYTES);
  if (keptBytes + array.byteLength > KEEP_BYTES) return array;
  keptBytes += array.byteLength;
  return track(array);
}

/**
 * Lets go of free buffers, largest first, until `bytes` of the budget are released. A size asked
 * for now is likelier to be asked for again soon than one that lies unused; and at GPT-2 124M a
 * step's sizes outgrow the budget, so without this the logits' buffers would sit idle through
 * the whole backward pass while the gradients are made in new memory. Even where the arrays in
 * use fill the budget, so that letting go makes no room, the idle ones go: holding them would only
 * keep the peak up. What was let go returns to the system at V8's next collection (fine-tuning
 * 124M: peak 3.01 → 2.98 GB).
 */
function evict(bytes: number): void {
  if (bytes <= 0) return;
  for (const size of [...free.keys()].sort((a, b) => b - a)) {
    const list = free.get(size) as ArrayBuffer[];
    while (bytes > 0 && list.pop()) {
      keptBytes -= size;
      bytes -= size;
    }
    if (!list.length) free.delete(size);
    if (bytes <= 0) return;
  }
}

/** Bytes of dropped arrays' buffers kept, free, for the next request of their size. */
export function idleBytes(): number {
  let bytes = 0;
  for (const [size, list] of free) bytes += size * list.length;
  return bytes;
}

/** `array`, whose buffer comes back (to `free`) once the array is collected. */
function track(array: Float32Array): Float32Array {
  const { registry, cleanupSome } = collector();
  const buffer = array.buffer as ArrayBuffer;
  // A WeakRef keeps its array alive to the end of the job: only made where there is no cleanupSome.
  const lease: Lease = cleanupSome ? { buffer } : { buffer, array: new WeakRef(array) };
  const out = leases.get(buffer.byteLength) ?? new Set();
  leases.set(buffer.byteLength, out.add(lease));
  registry.register(array, lease, lease);
  handedOut += buffer.byteLength;
  return array;
}

/** A collected array's buffer, free for the next request of its size. */
function release(lease: Lease): void {
  leases.get(lease.buffer.byteLength)?.delete(lease);
  const list = free.get(lease.buffer.byteLength) ?? [];
  free.set(lease.buffer.byteLength, [...list, lease.buffer]);
}

interface Collector {
  /** A full garbage collection, where V8 lets us ask for one. */
  gc?: () => void;
  registry: FinalizationRegistry<Lease>;
  /** Runs the registry's callbacks for arrays already found unreachable, now rather than after the job (V8's flag). */
  cleanupSome?: () => void;
}

let hooks: Collector | undefined;
let collectedThisJob = false;

/**
 * gc() and a FinalizationRegistry, from a fresh context, made after the V8 flags that offer them
 * are set (Node 20's V8 has cleanupSome behind a flag; a runtime without it gets the WeakRef scan).
 */
function collector(): Collector {
  if (hooks) return hooks;
  for (const flag of ["--expose-gc", "--harmony-weak-refs-with-cleanup-some"]) {
    try {
      setFlagsFromString(flag);
    } catch {
      // a runtime without V8's flags: the context below shows what it has
    }
  }
  const made = runInNewContext("({ gc: typeof gc === 'function' ? gc : undefined, Registry: FinalizationRegistry })");
  const registry: FinalizationRegistry<Lease> = new made.Registry(release);
  const cleanupSome = (registry as { cleanupSome?: () => void }).cleanupSome;
  hooks = { gc: made.gc, registry, cleanupSome };
  return hooks;
}
