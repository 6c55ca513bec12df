// NumPy .npy files, as --logits-out writes them.
import { describe, expect, it } from "vitest";
import { tensor, toNested } from "../../lib/tensor.ts";
import { fromNpy, toNpy } from "../../tools/cli/npy.ts";

describe(".npy", () => {
  it("round-trips float32 arrays with a 64-byte-aligned header", () => {
    const bytes = toNpy(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    expect((10 + headerLength) % 64).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(10, 10 + headerLength))).toMatch(
      /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/,
    );
    const back = fromNpy(bytes);
    expect(back.shape).toEqual([2, 3]);
    expect(Array.from(back.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fromNpy(toNpy(tensor([7]))).shape).toEqual([1]);
    expect(toNested(tensor([7]))).toEqual([7]);
  });
});
