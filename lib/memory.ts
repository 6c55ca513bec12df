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
// are out, it asks for a collection at once (at most once per synchronous run, e.g. a training
// step): 20–30 ms measured during training, against ~300 ms to map 100 MB afresh.
//
// The one rule this asks of the framework: a second view of a result's buffer (new
// Float32Array(t.data.buffer), t.data.subarray(…)) must not outlive the array itself. Code here
// only makes such views for the length of a call.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Smaller arrays are cheap to allocate: 1 MiB. */
const RECYCLE_MIN = 1 << 18;
/**
 * Buffers kept for reuse, in bytes at most; beyond it new arrays are plain ones. 512 MiB holds a
 * training step's large arrays at `npm run train`'s shape (three of 103 MB); at GPT-2 124M's,
 * 2 GiB kept 1.7 GB of dropped gradients and activations idle (peak 5.0 GB against 3.3 without).
 */
const KEEP_BYTES = 2 ** 29;

/** A buffer handed out, and the array it was handed out as. */
interface Lease {
  array: WeakRef<Float32Array>;
  buffer: ArrayBuffer;
}

/** Every buffer kept, by byte length: out (maybe still in use) or free. */
const leases = new Map<number, Set<Lease>>();
const free = new Map<number, ArrayBuffer[]>();
let keptBytes = 0;
// Between synchronous runs (a training step is one) the collector's findings arrive here.
const returned = new FinalizationRegistry<Lease>((lease) => release(lease));

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
  let buffer = free.get(bytes)?.pop();
  if (!buffer && leases.get(bytes)?.size && collectOncePerJob()) buffer = collected(bytes);
  return buffer && track(new Float32Array(buffer));
}

/**
 * The buffer of an array of `bytes` that this job's collection found unreachable, before its
 * finalizer has run (finalizers wait for the job to end, and a training step is one job that asks
 * for many arrays of a size). Only after the collection: deref() keeps its array alive to the job's end.
 */
function collected(bytes: number): ArrayBuffer | undefined {
  const out = leases.get(bytes) ?? new Set<Lease>();
  for (const lease of out) {
    if (lease.array.deref() !== undefined) continue;
    returned.unregister(lease); // found here: its finalizer must not free it a second time
    out.delete(lease);
    return lease.buffer;
  }
  return undefined;
}

/** A new array of n zeros, remembered for reuse if it is large and there is room. */
function fresh(n: number): Float32Array {
  const array = new Float32Array(n);
  if (n < RECYCLE_MIN || keptBytes + array.byteLength > KEEP_BYTES) return array;
  keptBytes += array.byteLength;
  return track(array);
}

/** `array`, whose buffer comes back (to `free`) once the array is collected. */
function track(array: Float32Array): Float32Array {
  const buffer = array.buffer as ArrayBuffer;
  const lease: Lease = { array: new WeakRef(array), buffer };
  const out = leases.get(buffer.byteLength) ?? new Set();
  leases.set(buffer.byteLength, out.add(lease));
  returned.register(array, lease, lease);
  return array;
}

/** A collected array's buffer, free for the next request of its size. */
function release(lease: Lease): void {
  leases.get(lease.buffer.byteLength)?.delete(lease);
  const list = free.get(lease.buffer.byteLength) ?? [];
  free.set(lease.buffer.byteLength, [...list, lease.buffer]);
}

let gc: (() => void) | null | undefined;
let collectedThisJob = false;

/**
 * Runs a full garbage collection unless one ran earlier in this synchronous run (the "job"): an
 * array made in this job stays alive until it ends (WeakRef's rule), so a second collection would
 * find nothing more. False when V8 does not let us collect.
 */
function collectOncePerJob(): boolean {
  if (gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      gc = runInNewContext("gc") as () => void;
    } catch {
      gc = null;
    }
  }
  if (gc && !collectedThisJob) {
    collectedThisJob = true;
    queueMicrotask(() => {
      collectedThisJob = false;
    });
    gc();
  }
  return gc !== null;
}
