// NumPy's .npy format (version 1.0), so other tools can read our float32 arrays:
//   "\x93NUMPY" 0x01 0x00, a little-endian u16 header length, a Python-dict header padded with
//   spaces to a multiple of 64 bytes and ending in "\n", then the raw little-endian data.
import { contiguousData, type Tensor } from "../../lib/tensor.ts";

export function toNpy(t: Tensor): Uint8Array {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(", ")})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + header.length + 1;
  header += `${" ".repeat((64 - (unpadded % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + 4 * t.size);
  out.set([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const data = contiguousData(t);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Reads back what toNpy writes (float32, C order), for tests and tools. */
export function fromNpy(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  const magic = new TextDecoder().decode(bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== "NUMPY") throw new Error("fromNpy: not a .npy file");
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
  if (!header.includes("'descr': '<f4'") || !header.includes("'fortran_order': False"))
    throw new Error(`fromNpy: only little-endian float32 in C order is supported, got ${header.trim()}`);
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  // A copy with its own, aligned memory (a Node Buffer may sit at any offset of a shared pool).
  const body = new Uint8Array(bytes.subarray(10 + headerLength));
  return { shape, data: new Float32Array(body.buffer, 0, body.byteLength / 4) };
}
