// Downloads against a hub stand-in on 127.0.0.1: full download, resume after a cut, corrupted
// bytes rejected, server errors, no network. No test reaches the internet.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HubError, downloadFile } from "../../tools/hub/download.ts";
import { tempDir } from "../temp-dir.ts";

const payload = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31 + 7) % 256));
const sha = createHash("sha256").update(payload).digest("hex");
const config = Buffer.from('{"n_embd": 16}');

/** How the stand-in misbehaves in the current test. */
const behaviour = { cutFirstAfter: 0, corrupt: false, status: 0, ignoreRange: false };
const seen: { method: string; url: string; range?: string }[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  seen.push({ method: req.method!, url: req.url!, range: req.headers.range });
  if (behaviour.status) {
    res.writeHead(behaviour.status).end();
    return;
  }
  if (req.url === "/org/model/resolve/main/config.json") {
    res
      .writeHead(200, { "content-length": config.length, etag: '"0123abc"' })
      .end(req.method === "HEAD" ? undefined : config);
    return;
  }
  if (req.url === "/org/model/resolve/main/model.safetensors") {
    // LFS files: a redirect to the CDN, carrying the SHA-256 and size.
    res
      .writeHead(302, { location: "/cdn/blob", "x-linked-etag": `"${sha}"`, "x-linked-size": String(payload.length) })
      .end();
    return;
  }
  if (req.url === "/cdn/blob") {
    const body = behaviour.corrupt ? Buffer.from(payload).fill(0, 1000, 1010) : payload;
    const match = /bytes=(\d+)-/.exec(req.headers.range ?? "");
    const start = match && !behaviour.ignoreRange ? Number(match[1]) : 0;
    if (start >= body.length) {
      res.writeHead(416).end();
      return;
    }
    res.writeHead(start ? 206 : 200, {
      "content-length": body.length - start,
      ...(start ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (behaviour.cutFirstAfter) {
      const cut = behaviour.cutFirstAfter;
      behaviour.cutFirstAfter = 0;
      // Let the client write what it got before the connection drops.
      res.write(body.subarray(start, start + cut), () => setTimeout(() => res.destroy(), 100));
      return;
    }
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(404).end();
}

let server: Server;
let endpoint = "";
let dir = "";

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  Object.assign(behaviour, { cutFirstAfter: 0, corrupt: false, status: 0, ignoreRange: false });
  seen.length = 0;
  dir = tempDir("hub");
});

const get = (file: string, extra = {}) =>
  downloadFile({ repo: "org/model", file, dest: path.join(dir, file), endpoint, ...extra });

describe("downloadFile", () => {
  it("downloads, verifies the SHA-256 and renames into place", async () => {
    const progress: number[] = [];
    const result = await get("model.safetensors", {
      onProgress: (p: { received: number }) => progress.push(p.received),
    });
    expect(result).toMatchObject({ bytes: payload.length, sha256: sha, resumed: false, alreadyPresent: false });
    expect(readFileSync(path.join(dir, "model.safetensors")).equals(payload)).toBe(true);
    expect(existsSync(path.join(dir, "model.safetensors.incomplete"))).toBe(false);
    expect(progress.at(-1)).toBe(payload.length);
  });

  it("downloads a small non-LFS file without a hash", async () => {
    const result = await get("config.json");
    expect(result.sha256).toBeNull();
    expect(readFileSync(path.join(dir, "config.json"), "utf8")).toBe('{"n_embd": 16}');
  });

  it("resumes with a Range request after the connection drops", async () => {
    behaviour.cutFirstAfter = 100_000;
    const result = await get("model.safetensors");
    expect(result.resumed).toBe(true);
    expect(readFileSync(path.join(dir, "model.safetensors")).equals(payload)).toBe(true);
    const ranges = seen.filter((r) => r.url === "/cdn/blob").map((r) => r.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(ranges[1]!)![0])).toBeGreaterThan(0);
  });

  it("resumes a partial file left by an earlier run", async () => {
    writeFileSync(path.join(dir, "model.safetensors.incomplete"), payload.subarray(0, 123_456));
    const result = await get("model.safetensors");
    expect(result.resumed).toBe(true);
    expect(seen.find((r) => r.url === "/cdn/blob")?.range).toBe("bytes=123456-");
    expect(readFileSync(path.join(dir, "model.safetensors")).equals(payload)).toBe(true);
  });

  it("starts over when the server ignores Range", async () => {
    writeFileSync(path.join(dir, "model.safetensors.incomplete"), payload.subarray(0, 5000));
    behaviour.ignoreRange = true;
    const result = await get("model.safetensors");
    expect(readFileSync(path.join(dir, "model.safetensors")).equals(payload)).toBe(true);
    expect(result.resumed, "a restart from byte 0 is not a resume").toBe(false);
  });

  it("rejects corrupted bytes, removes them, and never creates the final file", async () => {
    behaviour.corrupt = true;
    await expect(get("model.safetensors")).rejects.toThrow(
      /SHA-256 mismatch \(expected [0-9a-f]{64}, got [0-9a-f]{64}\)/,
    );
    expect(existsSync(path.join(dir, "model.safetensors"))).toBe(false);
    expect(existsSync(path.join(dir, "model.safetensors.incomplete"))).toBe(false);
  });

  it("skips a file that is already complete and verified", async () => {
    await get("model.safetensors");
    seen.length = 0;
    const again = await get("model.safetensors");
    expect(again.alreadyPresent).toBe(true);
    expect(seen.some((r) => r.url === "/cdn/blob")).toBe(false);
  });

  it("explains HTTP errors", async () => {
    behaviour.status = 404;
    await expect(get("model.safetensors")).rejects.toThrow(
      /org\/model\/model.safetensors was not found on the hub \(HTTP 404/,
    );
    behaviour.status = 403;
    await expect(get("model.safetensors")).rejects.toThrow(/refused \(HTTP 403\).*gated or private/);
    behaviour.status = 500;
    await expect(get("model.safetensors")).rejects.toBeInstanceOf(HubError);
  });

  it("explains a network that cannot be reached", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      downloadFile({
        repo: "org/model",
        file: "config.json",
        dest: path.join(dir, "config.json"),
        endpoint: `http://127.0.0.1:${port}`,
      }),
    ).rejects.toThrow(/cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it("retries a server that stalls mid-file, then says so and keeps what came", async () => {
    let attempts = 0;
    const stalling = createServer((req, res) => {
      if (req.method === "HEAD")
        return void res.writeHead(200, { "x-linked-etag": `"${sha}"`, "x-linked-size": String(payload.length) }).end();
      attempts++;
      res.writeHead(200, { "content-length": payload.length });
      res.write(payload.subarray(0, 1000)); // then nothing, and the connection stays open
    });
    await new Promise<void>((resolve) => stalling.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(stalling.address() as AddressInfo).port}`;
    const dest = path.join(dir, "m");
    await expect(
      downloadFile({
        repo: "org/model",
        file: "model.safetensors",
        dest,
        endpoint: url,
        attempts: 2,
        stallSeconds: 0.3,
      }),
    ).rejects.toThrow(
      /no data from 127\.0\.0\.1:\d+ for 0\.3 s while downloading model\.safetensors[\s\S]*stopped after 2 attempts; \d+ bytes are kept/,
    );
    expect(attempts).toBe(2);
    stalling.closeAllConnections();
    await new Promise<void>((resolve) => stalling.close(() => resolve()));
  });

  it("names a redirect loop as one, not as a network problem", async () => {
    const looping = createServer((req, res) => res.writeHead(302, { location: req.url }).end());
    await new Promise<void>((resolve) => looping.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(looping.address() as AddressInfo).port}`;
    const error = await downloadFile({
      repo: "org/model",
      file: "config.json",
      dest: path.join(dir, "c"),
      endpoint: url,
      attempts: 1,
    }).catch((e: Error) => e);
    expect(String(error)).toMatch(/redirected .*config\.json too many times \(a redirect loop\)/);
    expect(String(error)).toMatch(/nothing was received/);
    expect(String(error)).not.toMatch(/check your network/i);
    await new Promise<void>((resolve) => looping.close(() => resolve()));
  });

  it("a disk that refuses the bytes is one clear error, not a dropped connection", async () => {
    mkdirSync(path.join(dir, "model.safetensors.incomplete")); // a folder where the partial file goes
    const error = await get("model.safetensors").catch((e: Error) => e);
    expect(error).toBeInstanceOf(HubError);
    expect(String(error)).toMatch(/cannot write .*model\.safetensors\.incomplete: EISDIR/);
    expect(String(error)).not.toMatch(/connection dropped/);
  });

  it("keeps the partial file when every attempt is cut", async () => {
    let cuts = 0;
    const flaky = createServer((req, res) => {
      if (req.method === "HEAD")
        return void res.writeHead(200, { "x-linked-etag": `"${sha}"`, "x-linked-size": String(payload.length) }).end();
      cuts++;
      res.writeHead(200, { "content-length": payload.length });
      res.write(payload.subarray(0, 1000), () => setTimeout(() => res.destroy(), 100));
    });
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;
    await expect(
      downloadFile({
        repo: "org/model",
        file: "model.safetensors",
        dest: path.join(dir, "m"),
        endpoint: url,
        attempts: 2,
      }),
    ).rejects.toThrow(
      /stopped after 2 attempts; \d+ bytes are kept in .*m\.incomplete\. Run the same command again to resume/,
    );
    expect(cuts).toBe(2);
    expect(statSync(path.join(dir, "m.incomplete")).size).toBeGreaterThan(0);
    await new Promise<void>((resolve) => flaky.close(() => resolve()));
  });
});
