// The safetensors format (Hugging Face's checkpoint format), read without trusting the file:
//   8 bytes  little-endian u64 N, the length of the header
//   N bytes  JSON header: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": {...} }
//   rest     the tensor bytes; offsets are relative to the end of the header
// Every field is validated before any memory is allocated for it, so a broken or hostile file
// gives a SafetensorsError instead of a crash, a hang or a huge allocation.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import ndarray from "ndarray";
import { bf16Bits, bf16Tensor, bf16Transposed, toBf16 } from "./bf16.ts";
import { fmtShape, gatherInto, isContiguous, numel, type IntTensor, type Tensor } from "./tensor.ts";

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

/** Headers larger than this are refused (real GPT-2 headers are ~15 KB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const BYTES_PER_ELEMENT: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };

export interface SafetensorsFile {
  tensors: Record<string, Tensor | IntTensor>;
  metadata: Record<string, string>;
}

function fail(message: string): never {
  throw new SafetensorsError(`safetensors: ${message}`);
}

function unsupportedDtype(name: string, dtype: string): never {
  return fail(
    `tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(BYTES_PER_ELEMENT).join(", ")})`,
  );
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

/** One tensor's entry in the header, validated; begin/end are byte offsets into the data section. */
interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** The 8-byte length prefix: how long the JSON header is, checked against the file's size. */
function headerLengthOf(prefix: Uint8Array, fileBytes: number): number {
  if (fileBytes < 8) fail(`file is ${fileBytes} bytes, too short for the 8-byte header length`);
  const headerLength = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES))
    fail(`header length ${headerLength} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  if (headerLength > BigInt(fileBytes - 8))
    fail(`header length ${headerLength} is larger than the ${fileBytes - 8} bytes after it (truncated file?)`);
  return Number(headerLength);
}

/** Validates the JSON header against a data section of `dataLength` bytes, before anything is allocated for it. */
function parseHeader(
  headerBytes: Uint8Array,
  dataLength: number,
): { entries: Entry[]; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("header must be a JSON object");

  const entries: Entry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null || Object.values(entry).some((v) => typeof v !== "string"))
        fail("__metadata__ must map strings to strings");
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = (entry ?? {}) as {
      dtype?: unknown;
      shape?: unknown;
      data_offsets?: unknown;
    };
    if (typeof dtype !== "string") fail(`tensor "${name}" has no dtype`);
    const width = BYTES_PER_ELEMENT[dtype];
    if (width === undefined) unsupportedDtype(name, dtype);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    if (
      !Array.isArray(data_offsets) ||
      data_offsets.length !== 2 ||
      data_offsets.some((o) => !Number.isSafeInteger(o) || o < 0)
    ) {
      fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(data_offsets)}`);
    }
    const [begin, end] = data_offsets as [number, number];
    if (begin > end || end > dataLength)
      fail(`tensor "${name}" spans bytes ${begin}…${end}, outside the ${dataLength} data bytes (truncated file?)`);
    const count = numel(shape as number[]);
    if (count * width !== end - begin) {
      fail(
        `tensor "${name}": shape ${fmtShape(shape as number[])} of ${dtype} needs ${count * width} bytes, but data_offsets give ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: [...(shape as number[])], begin, end });
  }

  entries.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < entries.length; i++) {
    if (entries[i].begin < entries[i - 1].end)
      fail(`tensors "${entries[i - 1].name}" and "${entries[i].name}" overlap`);
  }
  return { entries, metadata };
}

function toTensor(entry: Entry, bytes: Uint8Array): Tensor | IntTensor {
  return ndarray(decode(bytes, entry.dtype, numel(entry.shape), entry.name), entry.shape) as Tensor | IntTensor;
}

/** Parses a whole safetensors file held in memory. F32 tensors are views into `buffer` where alignment allows. */
export function parseSafetensors(buffer: Uint8Array): SafetensorsFile {
  const dataStart = 8 + headerLengthOf(buffer, buffer.byteLength);
  const { entries, metadata } = parseHeader(buffer.subarray(8, dataStart), buffer.byteLength - dataStart);
  const tensors: Record<string, Tensor | IntTensor> = {};
  for (const e of entries) tensors[e.name] = toTensor(e, buffer.subarray(dataStart + e.begin, dataStart + e.end));
  return { tensors, metadata };
}

/** A run of consecutive tensors (in file order) read into one allocation. */
export interface Segment {
  begin: number;
  end: number;
  names: string[];
}

/**
 * Groups tensors, in file order, into runs of at most `limit` bytes each, so that a file larger
 * than one block of memory (gpt2-xl is 6.2 GB; a wasm32 memory holds 4 GiB) still loads whole.
 * A run never spans bytes that belong to no tensor listed (those read another way, or padding).
 */
export function planSegments(
  entries: readonly { name: string; begin: number; end: number }[],
  limit: number,
): Segment[] {
  const segments: Segment[] = [];
  for (const e of [...entries].sort((a, b) => a.begin - b.begin)) {
    if (e.end - e.begin > limit)
      fail(`tensor "${e.name}" is ${e.end - e.begin} bytes, more than one block of memory holds (${limit} bytes)`);
    const last = segments[segments.length - 1];
    if (last && e.begin === last.end && e.end - last.begin <= limit) {
      last.end = e.end;
      last.names.push(e.name);
    } else segments.push({ begin: e.begin, end: e.end, names: [e.name] });
  }
  return segments;
}

/**
 * Floats a tensor is written in, at most, where they must be copied first (a view, or bfloat16):
 * each band goes through the same two scratch arrays. Copied whole, the transposed Conv1D weights
 * of a GPT-2 124M checkpoint came to 340 MB of arrays left for the garbage collector, and in a
 * fine-tune the steps after a save ran 30–50 MiB higher than the steps before it.
 */
const WRITE_BAND = 1 << 20;

/** t's elements in row-major order, as F32 or BF16 bytes: the tensor's own memory where it can, else a band of rows at a time. */
function writeTensor(
  fd: number,
  t: Tensor,
  dtype: "F32" | "BF16",
  scratch: { floats: Float32Array; halves: Uint16Array },
): void {
  const write = (data: Float32Array) =>
    writeFully(
      fd,
      dtype === "F32"
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(toBf16(data, scratch.halves.subarray(0, data.length)).buffer, 0, data.length * 2),
    );
  if (t.size === 0) return;
  if (isContiguous(t) && dtype === "F32") write(t.data);
  else if (t.shape.length === 0) write(gatherInto(t, scratch.floats));
  else {
    const rows = t.shape[0];
    const rowSize = t.size / rows;
    // Rows too long for a band are written one at a time, each in bands of its own rows.
    if (rowSize > WRITE_BAND) for (let r = 0; r < rows; r++) writeTensor(fd, t.pick(r) as Tensor, dtype, scratch);
    else {
      const band = Math.floor(WRITE_BAND / rowSize);
      for (let r0 = 0; r0 < rows; r0 += band) write(gatherInto(t.lo(r0).hi(Math.min(band, rows - r0)), scratch.floats));
    }
  }
}

/** One read or write call moves at most this many bytes (the system call takes less than 2 GiB). */
const IO_CHUNK = 1 << 30;

/** Fills `target` from `fd` at `position`, or fails saying the file ended early. */
function readFully(fd: number, target: Uint8Array, position: number): void {
  for (let done = 0; done < target.byteLength; ) {
    const n = readSync(fd, target, done, Math.min(IO_CHUNK, target.byteLength - done), position + done);
    if (n === 0) fail(`file ended after ${position + done} bytes while reading tensor data (truncated file?)`);
    done += n;
  }
}

/** A tensor as the header describes it, for choosing how to hold it. */
export interface TensorInfo {
  name: string;
  dtype: string;
  shape: readonly number[];
}

export interface ReadOptions {
  /**
   * The tensors to hold in bfloat16 (lib/bf16.ts): a BF16 tensor's bytes are kept as they are, a
   * F32 one is rounded as it is read. Others are float32 (BF16 widened) or int32, as always.
   */
  bf16?: (tensor: TensorInfo) => boolean;
  /**
   * The 2-D float tensors to hold in memory column by column: the same tensor to every reader
   * (its shape, each element's value), a transposed view of its columns as rows (inColumns).
   */
  columns?: (tensor: TensorInfo) => boolean;
  /**
   * Tensors to read into ordinary memory instead of allocate's: memory that is freed once nobody
   * holds them (the kernels' memory never shrinks).
   */
  apart?: (tensor: TensorInfo) => boolean;
}

/** Floats read at a time when rounding a F32 tensor to bfloat16 (so the float32 copy never exists whole). */
const ROUND_CHUNK = 1 << 20;

/**
 * Reads a safetensors file from disk straight into memory from `allocate` (the kernels' memory,
 * so weights are read once and never copied), one allocation per segment of at most `limit` bytes.
 */
export function readSafetensors(
  file: string,
  allocate: (bytes: number) => Uint8Array,
  limit = Number.MAX_SAFE_INTEGER,
  { bf16 = () => false, columns = () => false, apart = () => false }: ReadOptions = {},
): SafetensorsFile {
  const fd = openSync(file, "r");
  try {
    const fileBytes = fstatSync(fd).size;
    const prefix = new Uint8Array(8);
    if (fileBytes >= 8) readFully(fd, prefix, 0);
    const dataStart = 8 + headerLengthOf(prefix, fileBytes);
    const headerBytes = new Uint8Array(dataStart - 8);
    readFully(fd, headerBytes, 8);
    const { entries, metadata } = parseHeader(headerBytes, fileBytes - dataStart);
    const byName = new Map(entries.map((e) => [e.name, e]));
    const tensors: Record<string, Tensor | IntTensor> = {};
    const keep = new Set(
      entries.filter((e) => (e.dtype === "BF16" || e.dtype === "F32") && bf16(e)).map((e) => e.name),
    );
    const rounded = entries.filter((e) => keep.has(e.name) && e.dtype === "F32");
    const read = entries.filter((e) => !rounded.includes(e));
    const ordinary = (bytes: number) => new Uint8Array(bytes);
    const groups = [
      { group: read.filter((e) => !apart(e)), memory: allocate },
      { group: read.filter((e) => apart(e)), memory: ordinary },
    ];
    for (const { group, memory } of groups)
      for (const segment of planSegments(group, limit)) {
        const bytes = memory(segment.end - segment.begin);
        readFully(fd, bytes, dataStart + segment.begin);
        for (const name of segment.names) {
          const e = byName.get(name)!;
          const own = bytes.subarray(e.begin - segment.begin, e.end - segment.begin);
          tensors[name] = keep.has(name) ? bf16Tensor(halves(own, memory), e.shape) : toTensor(e, own);
        }
      }
    for (const e of rounded)
      tensors[e.name] = bf16Tensor(readRounded(fd, dataStart + e.begin, e, apart(e) ? ordinary : allocate), e.shape);
    for (const e of entries)
      if (e.shape.length === 2 && (e.dtype === "F32" || e.dtype === "BF16") && columns(e))
        tensors[e.name] = inColumns(tensors[e.name] as Tensor);
    return { tensors, metadata };
  } finally {
    closeSync(fd);
  }
}

/**
 * A row-major [R, C] tensor with its numbers moved, in place, to column-major order, returned as
 * the same [R, C] tensor: a transposed view of C rows of R (bfloat16 stays bfloat16).
 */
function inColumns(t: Tensor): Tensor {
  const [R, C] = t.shape;
  const bits = bf16Bits(t);
  const numbers = bits ?? t.data;
  const rows = numbers.slice();
  // 64 rows at a time: each column's 64 numbers are written side by side, and the rows they are
  // read from stay in the cache for the next columns.
  for (let r0 = 0; r0 < R; r0 += 64) {
    const r1 = Math.min(R, r0 + 64);
    for (let c = 0; c < C; c++) for (let r = r0; r < r1; r++) numbers[c * R + r] = rows[r * C + c];
  }
  if (bits) return bf16Transposed(bf16Tensor(bits, [C, R]), [1, 0]) as Tensor;
  return ndarray(numbers as Float32Array, [C, R]).transpose(1, 0) as Tensor;
}

/** BF16 bytes as a Uint16Array: a view where they are 2-byte aligned, else a copy in `allocate`'s memory. */
function halves(bytes: Uint8Array, allocate: (bytes: number) => Uint8Array): Uint16Array {
  if (bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const copy = allocate(bytes.byteLength);
  copy.set(bytes);
  return new Uint16Array(copy.buffer, copy.byteOffset, bytes.byteLength / 2);
}

/** A F32 tensor at `position` of `fd`, rounded to bfloat16 into `allocate`'s memory a chunk at a time. */
function readRounded(fd: number, position: number, e: Entry, allocate: (bytes: number) => Uint8Array): Uint16Array {
  const count = numel(e.shape);
  const bytes = allocate(count * 2);
  const out = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const chunk = new Float32Array(Math.min(count, ROUND_CHUNK));
  for (let done = 0; done < count; done += chunk.length) {
    const n = Math.min(chunk.length, count - done);
    readFully(fd, new Uint8Array(chunk.buffer, 0, n * 4), position + done * 4);
    toBf16(chunk.subarray(0, n), out.subarray(done, done + n));
  }
  return out;
}

/**
 * Writes tensors as a safetensors file, in name order, as F32 or (half the size) BF16, atomically:
 * the bytes go to FILE.partial, which is renamed over FILE only once complete, so an interruption
 * never leaves a half-written checkpoint under the real name.
 */
export function writeSafetensors(
  file: string,
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
  dtype: "F32" | "BF16" = "F32",
): void {
  const names = Object.keys(tensors).sort();
  const width = dtype === "F32" ? 4 : 2;
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const bytes = width * tensors[name].size;
    header[name] = { dtype, shape: [...tensors[name].shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const json = new Uint8Array(raw.length + ((8 - (raw.length % 8)) % 8)).fill(0x20); // padded with spaces: data 8-byte aligned
  json.set(raw);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(json.length), true);
  // Tensor by tensor: the file is never whole in memory (at GPT-2 124M that would be 0.5 GB more
  // at the very moment training holds its weights, gradients and optimizer state).
  const partial = `${file}.partial`;
  try {
    const fd = openSync(partial, "w");
    try {
      writeFully(fd, length);
      writeFully(fd, json);
      const scratch = { floats: new Float32Array(WRITE_BAND), halves: new Uint16Array(WRITE_BAND) };
      for (const name of names) writeTensor(fd, tensors[name], dtype, scratch);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true }); // a failed write (a full disk) leaves no half file behind
    throw error;
  }
}

/** All of `bytes` at the end of what has been written to `fd` (a write may take fewer). */
function writeFully(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    const n = writeSync(fd, bytes, done, Math.min(IO_CHUNK, bytes.length - done));
    if (n === 0) fail(`the disk took none of ${bytes.length - done} bytes`);
    done += n;
  }
}
