// Downloads from the Hugging Face hub: resumable, verified, and never leaving a half-written
// file under its final name.
//   1. HEAD …/resolve/main/FILE without following the redirect: for files stored in Git LFS the
//      hub answers with X-Linked-Etag (the file's SHA-256) and X-Linked-Size.
//   2. GET into FILE.incomplete, with "Range: bytes=N-" when N bytes are already there.
//   3. Check the size and SHA-256, then rename FILE.incomplete → FILE (atomic on one file system).
// HF_ENDPOINT overrides https://huggingface.co, as in Hugging Face's own tools (tests use it).
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export class HubError extends Error {
  override name = "HubError";
}

/** A failure worth another attempt (dropped connection, server error): the partial file is kept. */
class InterruptedDownload extends HubError {}

export interface Progress {
  file: string;
  received: number;
  total: number | null;
  /** Bytes that were already on disk when this attempt started. */
  resumedFrom: number;
  startedAt: number;
}

export interface DownloadOptions {
  repo: string;
  file: string;
  /** Final path of the file. */
  dest: string;
  endpoint?: string;
  onProgress?: (progress: Progress) => void;
  /** Attempts before giving up on a connection that keeps dropping (each resumes). Default 3. */
  attempts?: number;
  /** Seconds without a byte before an attempt counts as stalled (and is retried). Default 30. */
  stallSeconds?: number;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** The verified SHA-256, or null for files the hub publishes no hash for (small git files). */
  sha256: string | null;
  /** True when bytes from an earlier, interrupted attempt were kept. */
  resumed: boolean;
  /** True when the file was already complete and verified, so nothing was fetched. */
  alreadyPresent: boolean;
}

export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
}

function describeNetworkError(error: unknown, url: string): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  // The host answered, but only with redirects: not a network problem.
  if (/redirect count exceeded/i.test(cause?.message ?? ""))
    return `${new URL(url).host} redirected ${url} too many times (a redirect loop); check HF_ENDPOINT, or try again later`;
  return `cannot reach ${new URL(url).host}${code ? ` (${code})` : ""}: ${cause?.message ?? (error as Error).message}. Check your network connection (or HF_ENDPOINT).`;
}

function httpError(status: number, repo: string, file: string, url: string): HubError {
  if (status === 404) return new HubError(`${repo}/${file} was not found on the hub (HTTP 404 from ${url})`);
  if (status === 401 || status === 403)
    return new HubError(
      `access to ${repo}/${file} was refused (HTTP ${status}); the repository may be gated or private`,
    );
  return new HubError(`the hub answered HTTP ${status} for ${repo}/${file} (${url}); try again later`);
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** The published SHA-256 (LFS files only) and size of a file on the hub. */
async function headInfo(
  url: string,
  repo: string,
  file: string,
): Promise<{ sha256: string | null; size: number | null }> {
  let response: Response;
  try {
    response = await fetch(url, { method: "HEAD", redirect: "manual", headers: { "accept-encoding": "identity" } });
  } catch (error) {
    throw new HubError(describeNetworkError(error, url));
  }
  if (response.status >= 400) throw httpError(response.status, repo, file, url);
  const etag = (response.headers.get("x-linked-etag") ?? "").replace(/^W\//, "").replace(/"/g, "");
  const size =
    response.headers.get("x-linked-size") ?? (response.status < 300 ? response.headers.get("content-length") : null);
  return { sha256: /^[0-9a-f]{64}$/.test(etag) ? etag : null, size: size === null ? null : Number(size) };
}

/** Downloads one file of a hub repository to `dest`, resuming and verifying as described above. */
export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const { repo, file, dest, onProgress, attempts = 3, stallSeconds = 30 } = options;
  const url = `${options.endpoint ?? hubEndpoint()}/${repo}/resolve/main/${file}`;
  const partial = `${dest}.incomplete`;
  mkdirSync(path.dirname(dest), { recursive: true });

  const { sha256: expected, size } = await headInfo(url, repo, file);
  if (expected && existsSync(dest) && (await sha256File(dest)) === expected) {
    return { path: dest, bytes: statSync(dest).size, sha256: expected, resumed: false, alreadyPresent: true };
  }

  let resumed = false;
  for (let attempt = 1; ; attempt++) {
    let start = existsSync(partial) ? statSync(partial).size : 0;
    if (size !== null && start > size) {
      rmSync(partial);
      start = 0;
    }
    try {
      const context = { repo, file, onProgress, total: size, stallSeconds };
      // Resumed only when bytes from before were kept: a server that ignores Range starts over.
      if (size === null || start < size) resumed ||= await fetchInto(url, partial, start, context);
      else resumed = true;
      break;
    } catch (error) {
      if (!(error instanceof InterruptedDownload)) throw error;
      if (attempt >= attempts) {
        const kept = existsSync(partial) ? statSync(partial).size : 0;
        const what =
          kept > 0
            ? `${kept} bytes are kept in ${partial}. Run the same command again to resume.`
            : "nothing was received. Run the same command again.";
        throw new HubError(`${(error as Error).message}\nThe download stopped after ${attempt} attempts; ${what}`);
      }
    }
  }

  const bytes = statSync(partial).size;
  if (size !== null && bytes !== size) {
    rmSync(partial);
    throw new HubError(
      `${file}: received ${bytes} bytes but the hub announced ${size}; the partial file was removed, run the command again`,
    );
  }
  const actual = await sha256File(partial);
  if (expected && actual !== expected) {
    rmSync(partial);
    throw new HubError(
      `${file}: SHA-256 mismatch (expected ${expected}, got ${actual}); the corrupted file was removed, run the command again`,
    );
  }
  renameSync(partial, dest);
  return { path: dest, bytes, sha256: expected ? actual : null, resumed, alreadyPresent: false };
}

/**
 * One GET, appending to `partial` from byte `start`; whether it appended (the server honoured the
 * Range). Connection failures and stalls are InterruptedDownloads; a disk that refuses the bytes is not.
 */
async function fetchInto(
  url: string,
  partial: string,
  start: number,
  context: {
    repo: string;
    file: string;
    total: number | null;
    stallSeconds: number;
    onProgress?: (p: Progress) => void;
  },
): Promise<boolean> {
  const retryable = (message: string) => new InterruptedDownload(message);
  // A server that stops sending without closing would otherwise hold the command forever.
  const stall = new Watchdog(context.stallSeconds);
  const stalled = () =>
    retryable(`no data from ${new URL(url).host} for ${context.stallSeconds} s while downloading ${context.file}`);
  let response: Response;
  try {
    response = await fetch(url, {
      signal: stall.signal,
      headers: { "accept-encoding": "identity", ...(start > 0 ? { range: `bytes=${start}-` } : {}) },
    });
  } catch (error) {
    stall.stop();
    throw stall.signal.aborted ? stalled() : retryable(describeNetworkError(error, url));
  }
  stall.reset();
  try {
    if (response.status === 416) return true; // nothing left to send: the partial file is complete
    if (response.status >= 500) throw retryable(httpError(response.status, context.repo, context.file, url).message);
    if (response.status >= 400) throw httpError(response.status, context.repo, context.file, url);
    if (!response.body) throw retryable(`the hub sent no data for ${context.file}`);
    // A server that ignores Range answers 200 with the whole file: start over.
    const append = start > 0 && response.status === 206;
    const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
    reportProgress(body, { ...context, start: append ? start : 0, stall });
    const disk = createWriteStream(partial, { flags: append ? "a" : "w" });
    let diskError: NodeJS.ErrnoException | undefined;
    disk.on("error", (error) => (diskError = error));
    try {
      await pipeline(body, disk);
    } catch (error) {
      if (stall.signal.aborted) throw stalled();
      // The file system refused the bytes (full, read-only): trying again will not help.
      if (diskError?.syscall)
        throw new HubError(`cannot write ${partial}: ${diskError.message}. Free some space or choose another --dir.`);
      throw retryable(`the connection dropped while downloading ${context.file} (${(error as Error).message})`);
    }
    return append;
  } finally {
    stall.stop();
  }
}

/** Counts the body's bytes as they arrive: each chunk tells the watchdog and the progress callback. */
function reportProgress(
  body: Readable,
  context: { file: string; total: number | null; start: number; stall: Watchdog; onProgress?: (p: Progress) => void },
): void {
  const { file, total, start } = context;
  const progress: Progress = { file, received: start, total, resumedFrom: start, startedAt: Date.now() };
  body.on("data", (chunk: Buffer) => {
    context.stall.reset();
    progress.received += chunk.length;
    context.onProgress?.(progress);
  });
}

/** An abort signal that fires when `seconds` pass without a reset(). */
class Watchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;

  constructor(private readonly seconds: number) {
    this.timer = setTimeout(() => this.controller.abort(), seconds * 1000);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(), this.seconds * 1000);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
