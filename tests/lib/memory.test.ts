// Recycled memory for large results (lib/memory.ts): a dropped array's buffer comes back, a live
// one never does, and zeroed() means zeros even in memory that held other numbers.
import { setImmediate as nextTurn } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { idleBytes, preferLowPeak, uninitialized, zeroed } from "../../lib/memory.ts";

const LARGE = 1 << 23; // 32 MiB of floats: large enough to recycle, and to collect for

/** A large array, filled and dropped; its buffer (which the recycler keeps anyway) is returned. */
function dropped(fill: number): ArrayBuffer {
  const array = uninitialized(LARGE);
  array.fill(fill);
  return array.buffer as ArrayBuffer;
}

describe("recycled memory", () => {
  // An array stays alive until the end of the synchronous run (the "job") that made it, so each
  // test drops its array, then lets a turn of the event loop pass (as npm run train does between steps).
  it("gives a dropped array's memory to the next request of its size", async () => {
    const buffer = dropped(7);
    await nextTurn();
    const again = uninitialized(LARGE);
    expect(again.buffer === buffer, "the same buffer").toBe(true);
    expect(again.length).toBe(LARGE);
  });

  it("never hands out memory an array still uses", () => {
    const live = uninitialized(LARGE).fill(1);
    const other = uninitialized(LARGE);
    expect(other.buffer === live.buffer, "a different buffer").toBe(false);
    other.fill(2);
    expect(live.every((v) => v === 1)).toBe(true);
  });

  it("uses memory dropped earlier in the same synchronous run again (a training step is one)", (context) => {
    // Node 20's V8 offers cleanupSome behind a flag (lib/memory.ts); a runtime without it reuses between runs only.
    setFlagsFromString("--harmony-weak-refs-with-cleanup-some");
    if (typeof runInNewContext("FinalizationRegistry.prototype.cleanupSome") !== "function") context.skip();
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < 64; i++) buffers.add(dropped(i)); // 2 GiB in all, each dropped at once
    expect(buffers.size, "distinct buffers for 64 arrays made and dropped one after another").toBeLessThan(40);
  });

  it("collects whenever a size has two arrays out, with preferLowPeak (a large model's step)", async (context) => {
    setFlagsFromString("--harmony-weak-refs-with-cleanup-some");
    if (typeof runInNewContext("FinalizationRegistry.prototype.cleanupSome") !== "function") context.skip();
    await nextTurn();
    preferLowPeak(true);
    try {
      // The logits, held through the step; then, 6 times over, the loss's log-probabilities (dropped
      // at once) and the logits' gradient (dropped by the next round), in one synchronous run. A
      // size of its own, so that no buffer of it is free yet. Without preferLowPeak, 8 buffers.
      const size = LARGE + 4096;
      const logits = uninitialized(size).fill(1);
      const buffers = new Set<ArrayBufferLike>([logits.buffer]);
      for (let i = 0; i < 6; i++) {
        buffers.add(uninitialized(size).fill(2).buffer);
        buffers.add(uninitialized(size).fill(3).buffer);
      }
      expect(logits.every((v) => v === 1)).toBe(true);
      expect(buffers.size, "distinct buffers for the logits and 12 arrays dropped in turn").toBeLessThanOrEqual(4);
    } finally {
      preferLowPeak(false);
    }
  });

  it("lets idle buffers go when arrays of another size need the room", async () => {
    // The recycler keeps 512 MiB. Fill it with dropped arrays of one size, then hold arrays of
    // another: the idle ones must make way (at GPT-2 124M the logits' buffers otherwise sit idle
    // through the backward pass while the gradients take new memory).
    const count = 20; // 640 MiB of 32 MiB arrays: more than the budget
    let first = Array.from({ length: count }, () => uninitialized(LARGE).fill(0));
    expect(first.length).toBe(count);
    first = [];
    await nextTurn();
    const reused = uninitialized(LARGE); // finds the dropped ones (collecting first)
    expect(idleBytes(), "idle bytes after dropping 640 MiB").toBeGreaterThan(256 * 2 ** 20);
    const held = Array.from({ length: count }, () => uninitialized(LARGE + 1024).fill(1)); // another size
    expect(idleBytes(), "idle bytes while 640 MiB of another size are held").toBeLessThan(64 * 2 ** 20);
    expect(held.every((a) => a[0] === 1) && reused.length === LARGE).toBe(true);
  });

  it("zeroed() is zeros, also in recycled memory", async () => {
    dropped(5); // every large buffer dropped so far held other numbers than 0
    await nextTurn();
    const z = zeroed(LARGE);
    expect(z.every((v) => v === 0)).toBe(true);
  });

  it("leaves small arrays alone", () => {
    expect(uninitialized(10)).toEqual(new Float32Array(10));
    expect(zeroed(3)).toEqual(new Float32Array(3));
  });
});
