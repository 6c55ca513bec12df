// The safetensors format (Hugging Face's checkpoint format), read without trusting the file:
//   8 bytes  little-endian u64 N, the length of the header
//   N bytes  JSON header: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": {...} }
//   rest     the tensor bytes; offsets are relative to the end of the header
// Every field is validated before any memory is allocated for it, so a broken or hostile file
// gives a SafetensorsError instead of a crash, a hang or a huge allocation.
import ndarray from "ndarray";
import { fmtShape, numel, type IntTensor, type Tensor } from "./tensor.ts";

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

/** Headers larger than this are refused (real GPT-2 headers are ~15 KB). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const BYTES_PER_ELEMENT: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };

export interface SafetensorsFile {
  tensors: Record<string, Tensor | IntTensor>;
  metadata: Record<string, string>;
}

function fail(message: string): never {
  throw new SafetensorsError(`safetensors: ${message}`);
}

function unsupportedDtype(name: string, dtype: string): never {
  return fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(BYTES_PER_ELEMENT).join(", ")})`);
}

/** IEEE half precision → number (Node 20 has no Float16Array). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function decode(bytes: Uint8Array, dtype: string, count: number, name: string): Float32Array | Int32Array {
  const aligned = bytes.byteOffset % 4 === 0;
  switch (dtype) {
    case "F32":
      // Zero-copy when the data is 4-byte aligned in memory; otherwise one copy.
      return aligned ? new Float32Array(bytes.buffer, bytes.byteOffset, count) : new Float32Array(bytes.slice().buffer);
    case "I32":
      return aligned ? new Int32Array(bytes.buffer, bytes.byteOffset, count) : new Int32Array(bytes.slice().buffer);
    case "F16": {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return Float32Array.from({ length: count }, (_, i) => halfToFloat(view.getUint16(2 * i, true)));
    }
    case "BF16": {
      // bfloat16 is the top half of a float32: shift it back into place.
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getUint16(2 * i, true) << 16;
      return new Float32Array(out.buffer);
    }
    case "I64": {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) fail(`tensor "${name}": int64 value ${v} does not fit in int32`);
        out[i] = Number(v);
      }
      return out;
    }
    default:
      return unsupportedDtype(name, dtype);
  }
}

/** Parses a whole safetensors file held in memory. F32 tensors are views into `buffer` where alignment allows. */
export function parseSafetensors(buffer: Uint8Array): SafetensorsFile {
  if (buffer.byteLength < 8) fail(`file is ${buffer.byteLength} bytes, too short for the 8-byte header length`);
  const headerLength = new DataView(buffer.buffer, buffer.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  if (headerLength > BigInt(buffer.byteLength - 8)) fail(`header length ${headerLength} is larger than the ${buffer.byteLength - 8} bytes after it (truncated file?)`);
  const dataStart = 8 + Number(headerLength);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(8, dataStart)));
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("header must be a JSON object");

  const dataLength = buffer.byteLength - dataStart;
  const tensors: Record<string, Tensor | IntTensor> = {};
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];

  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null || Object.values(entry).some((v) => typeof v !== "string")) fail("__metadata__ must map strings to strings");
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== "string") fail(`tensor "${name}" has no dtype`);
    const width = BYTES_PER_ELEMENT[dtype];
    if (width === undefined) unsupportedDtype(name, dtype);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || data_offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(data_offsets)}`);
    }
    const [begin, end] = data_offsets as [number, number];
    if (begin > end || end > dataLength) fail(`tensor "${name}" spans bytes ${begin}…${end}, outside the ${dataLength} data bytes (truncated file?)`);
    const count = numel(shape as number[]);
    if (count * width !== end - begin) {
      fail(`tensor "${name}": shape ${fmtShape(shape as number[])} of ${dtype} needs ${count * width} bytes, but data_offsets give ${end - begin}`);
    }
    ranges.push([begin, end, name]);
    const data = decode(buffer.subarray(dataStart + begin, dataStart + end), dtype, count, name);
    tensors[name] = ndarray(data, [...(shape as number[])]) as Tensor | IntTensor;
  }

  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) fail(`tensors "${ranges[i - 1][2]}" and "${ranges[i][2]}" overlap`);
  }
  return { tensors, metadata };
}
