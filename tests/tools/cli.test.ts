// The command-line tools, run as a learner runs them: `npm run download` against a hub stand-in
// on 127.0.0.1 serving the tiny checkpoint, then `npm run main` / `npm run gpt2` on it.
import { createHash } from "node:crypto";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromNpy } from "../../tools/cli/npy.ts";
import { gpt2Tokenizer } from "../../solutions/solution_23.ts";
import { STEPS, stepPaths } from "../../tools/curriculum.ts";
import { plainCourseCopy, solutionAsStep } from "../course/course-copy.ts";
import { loadFixture } from "../fixtures.ts";
import { values } from "../harness.ts";
import { tempDir } from "../temp-dir.ts";
import { root, runTool } from "./run-tool.ts";

const tiny = path.join(root, "tests/fixtures/tiny-gpt2");
const fx = loadFixture("step_15");

const run = (tool: string, args: string[], env: Record<string, string> = {}) => runTool(tool, args, { env });
const main = (...args: string[]) => run("generate", ["--chain=reference", ...args]);

describe("npm run download", () => {
  let server: Server;
  let endpoint = "";
  const files: Record<string, Buffer> = {
    "config.json": readFileSync(path.join(tiny, "config.json")),
    "model.safetensors": readFileSync(path.join(tiny, "model.safetensors")),
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const file = /^\/openai-community\/gpt2\/resolve\/main\/(.+)$/.exec(req.url ?? "")?.[1];
      const body = file ? files[file] : undefined;
      if (!body) return void res.writeHead(404).end();
      const lfs =
        file === "model.safetensors"
          ? {
              "x-linked-etag": `"${createHash("sha256").update(body).digest("hex")}"`,
              "x-linked-size": String(body.length),
            }
          : {};
      res.writeHead(200, { "content-length": body.length, ...lfs }).end(req.method === "HEAD" ? undefined : body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("fetches gpt2 into models/gpt2, verified, and the model then writes the reference continuation", async () => {
    const dir = tempDir("models");
    const download = await run("download", ["gpt2", "--dir", dir], { HF_ENDPOINT: endpoint });
    expect(download.stderr + download.stdout).toMatch(/model\.safetensors: downloaded, 0\.0 MB, SHA-256 verified/);
    expect(download.stdout).toMatch(/npm run gpt2 -- "The meaning of life is"/);
    expect(download.code).toBe(0);
    const generated = await main(
      "--model",
      path.join(dir, "gpt2"),
      "--ids",
      "1,2,3",
      "--greedy",
      "--max-new-tokens",
      "8",
      "--json",
    );
    expect(JSON.parse(generated.stdout)).toEqual({
      prompt_ids: [1, 2, 3],
      generated_ids: values(fx.i32("greedy")).slice(3),
    });
  });

  it("rejects an unknown model name with the list of known ones", async () => {
    const result = await run("download", ["gpt5"]);
    expect(result.stderr).toMatch(/unknown model "gpt5"[\s\S]*gpt2, gpt2-medium, gpt2-large, gpt2-xl/);
    expect(result.code).toBe(2);
  });
});

describe("npm run main / npm run gpt2", () => {
  it("prints the reference continuation as JSON", async () => {
    const { code, stdout } = await main(
      "--model",
      tiny,
      "--ids",
      "1,2,3",
      "--greedy",
      "--max-new-tokens",
      "8",
      "--json",
    );
    expect(JSON.parse(stdout)).toEqual({ prompt_ids: [1, 2, 3], generated_ids: values(fx.i32("greedy")).slice(3) });
    expect(code).toBe(0);
  });

  it("streams text: the prompt, then the continuation", async () => {
    const { code, stdout } = await main("--model", tiny, "--ids", "1,2,3", "--greedy", "--max-new-tokens", "8");
    expect(stdout).toBe(`${gpt2Tokenizer().decode(values(fx.i32("greedy")))}\n`);
    expect(code).toBe(0);
  });

  it("writes the prompt's logits as a float32 [T, vocab] .npy file matching PyTorch", async () => {
    const out = path.join(tempDir("npy"), "logits.npy");
    const ids = values(fx.i32("ids")).slice(0, 7);
    const { code } = await main(
      "--model",
      tiny,
      "--ids",
      ids.join(","),
      "--max-new-tokens",
      "0",
      "--json",
      "--logits-out",
      out,
    );
    expect(code).toBe(0);
    const { shape, data } = fromNpy(readFileSync(out));
    expect(shape).toEqual([7, 64]);
    const expected = values(fx.f32("logits")).slice(0, 7 * 64);
    for (const [i, v] of data.entries()) expect(Math.abs(v - expected[i])).toBeLessThan(1e-4);
  });

  it("--show-top-k: each new token's candidates, the first of each PyTorch's probability for the greedy token", async () => {
    const ids = values(fx.i32("ids")).slice(0, 7);
    const { stdout, code } = await main(
      "--model",
      tiny,
      "--ids",
      ids.join(","),
      "--greedy",
      "--max-new-tokens",
      "3",
      "--show-top-k",
      "4",
      "--json",
    );
    expect(code).toBe(0);
    const { generated_ids, top_k } = JSON.parse(stdout) as {
      generated_ids: number[];
      top_k: { id: number; probability: number }[][];
    };
    expect(top_k).toHaveLength(3);
    // The first token's distribution is softmax of PyTorch's logits at the prompt's last position
    // (row 6 of the fixture's logits: a causal model's row 6 depends only on ids 0…6).
    const last = values(fx.f32("logits")).slice(6 * 64, 7 * 64);
    const z = last.reduce((s, v) => s + Math.exp(v - Math.max(...last)), 0);
    const expected = Math.exp(last[top_k[0][0].id] - Math.max(...last)) / z;
    expect(top_k[0][0].probability).toBeCloseTo(expected, 4);
    top_k.forEach((candidates, i) => {
      expect(candidates).toHaveLength(4);
      expect(candidates[0].id, "greedy picks the likeliest candidate").toBe(generated_ids[i]);
      const p = candidates.map((c) => c.probability);
      expect(p).toEqual([...p].sort((a, b) => b - a));
    });
    const text = await main(
      "--model",
      tiny,
      "--ids",
      "1,2,3",
      "--seed",
      "3",
      "--max-new-tokens",
      "2",
      "--show-top-k",
      "3",
    );
    expect(text.stdout).toMatch(
      /the candidates for each new token \(drawn at temperature 0\.8\):\n\s+1\. ".*"\n\s+\d+\.\d% █+[▏▎▍▌▋▊▉]?░* ".*"/,
    );
    expect(text.stdout).toMatch(/◀/);
  });

  it("--attention FILE.svg draws every head of every layer for the prompt", async () => {
    const file = path.join(tempDir("attention"), "attention.svg");
    const { code, stderr } = await main(
      "--model",
      tiny,
      "--ids",
      "1,2,3,4,5",
      "--max-new-tokens",
      "0",
      "--attention",
      file,
    );
    expect(code).toBe(0);
    expect(stderr).toContain(`wrote the prompt's attention maps to ${file}`);
    const svg = readFileSync(file, "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const label of ["layer 0", "layer 1", "head 0", "head 3"]) expect(svg).toContain(label);
    // 2 layers × 4 heads × 5 queries × 5 keys cells
    expect((svg.match(/<rect /g) ?? []).length).toBeGreaterThanOrEqual(2 * 4 * 5 * 5);
  });

  it("samples reproducibly with a seed", async () => {
    const args = [
      "--model",
      tiny,
      "--ids",
      "5,9",
      "--temperature",
      "1.2",
      "--seed",
      "42",
      "--max-new-tokens",
      "10",
      "--json",
    ];
    const [a, b] = await Promise.all([main(...args), main(...args)]);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).generated_ids).toHaveLength(10);
  });

  it("explains missing weights with the exact download command", async () => {
    const result = await main("Hello", "--model", "gpt2-xl");
    expect(result.stderr).toMatch(/no model at .*models\/gpt2-xl\. Download it with:\n\s+npm run download -- gpt2-xl/);
    expect(result.code).toBe(1);
  });

  it("refuses token ids outside the model's vocabulary and prompts longer than its context", async () => {
    const text = await main("Hello", "--model", tiny);
    expect(text.stderr).toMatch(/token id 15496 is out of range: this model's vocabulary has 64 tokens/);
    expect(text.code).toBe(1);
    const long = await main("--model", tiny, "--ids", Array.from({ length: 17 }, () => 1).join(","));
    expect(long.stderr).toMatch(/the prompt is 17 tokens long; this model reads at most 16/);
    expect(long.code).toBe(1);
  });

  it("--score FILE says how well the model predicts a text, per token and per byte", async () => {
    const dir = tempDir("score");
    const melville = path.join(dir, "melville.txt");
    writeFileSync(
      melville,
      "Call me Ishmael. Some years ago, never mind how long precisely, I thought I would sail about a little and see the watery part of the world.",
    );
    const scrambled = path.join(dir, "scrambled.txt");
    writeFileSync(
      scrambled,
      "Ishmael ago precisely about years would watery Call sail never long world little mind how see part thought some me the of a and I.",
    );
    const shipped = ["--model", "default-model"];
    const [book, noise] = await Promise.all([
      main("--score", melville, ...shipped),
      main("--score", scrambled, ...shipped),
    ]);
    expect(book.code, book.out).toBe(0);
    const bpb = (r: typeof book) =>
      Number(/tokens scored, [\d.]+ nats per token, ([\d.]+) bits per byte/.exec(r.stdout)?.[1]);
    expect(bpb(book)).toBeGreaterThan(0);
    expect(bpb(book), "Melville's own sentence reads better than its words shuffled").toBeLessThan(bpb(noise));
    const missing = await main("--score", path.join(dir, "absent.txt"), ...shipped);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--score: cannot read .*absent\.txt/);
  });

  it("--tokens shows how the tokenizer cuts a prompt: the pieces, a character split across tokens once, the ids", async () => {
    const text = "Call me Ishmael. 🐳";
    const { code, stdout, stderr } = await main("--tokens", text, "--model", "default-model");
    expect(code, stderr).toBe(0);
    const ids = gpt2Tokenizer().encode(text);
    expect(stdout).toBe(
      `Call│ me│ Is│hma│el│.│ 🐳⟨3⟩\n[${ids.join(", ")}]  (${ids.length} tokens, 21 bytes: ${(21 / ids.length).toFixed(2)} bytes per token)\n`,
    );
  });

  it("prints its options with --help", async () => {
    const { code, stdout } = await main("--help");
    expect(stdout).toMatch(/--max-new-tokens N[\s\S]*--stop-at-eot[\s\S]*--logits-out F\.npy/);
    expect(code).toBe(0);
  });

  it("rejects bad options with the usage text", async () => {
    for (const args of [["x", "--temperature", "-1"], ["x", "--max-new-tokens", "ten"], ["--ids", "1,a"], []]) {
      const result = await main(...args);
      expect(result.stderr, args.join(" ")).toMatch(/usage: npm run main/);
      expect(result.code).toBe(2);
    }
  });

  it("your chain (npm run gpt2) says which step to finish", async () => {
    const result = await run("generate", ["--chain=mine", "--model", tiny, "--ids", "1"]);
    expect(result.stderr).toMatch(
      /step \d+ not implemented yet[\s\S]*check it with npm run s\d+, or run the reference model with npm run main/,
    );
    expect(result.code).toBe(1);
  });

  it("your chain names the unfinished step before it says anything about downloading weights", async () => {
    const result = await run("generate", ["--chain=mine", "--model", "gpt2-xl", "--ids", "1"]);
    expect(result.stderr).toMatch(/step \d+ not implemented yet/);
    expect(result.stderr).not.toMatch(/npm run download/);
  });

  it("says why its default temperature (0.8) differs from generate()'s (1)", async () => {
    expect((await run("generate", ["--help"])).stdout).toMatch(
      /default 0\.8, a little sharper than the model's own\s+distribution \(generate\(\)'s default, 1\)/,
    );
  });
});

describe("npm run gpt2 with your tokenizer", () => {
  it("reads with your step 23 once npm run s23 has passed it as it is now, and says which", async () => {
    const work = plainCourseCopy();
    symlinkSync(path.join(root, "default-model"), path.join(work, "default-model"));
    for (const step of STEPS.filter((s) => s.nn <= "16" || s.nn === "23"))
      writeFileSync(path.join(work, stepPaths(step.nn).step), solutionAsStep(step.nn));
    const gpt2 = () => runTool("generate", ["--chain=mine", "Call me", "--max-new-tokens", "3"], { cwd: work });
    const before = await gpt2();
    expect(before.code, before.out).toBe(0);
    expect(before.stderr).toMatch(
      /\(GPT-2's tokenizer, by the reference step 23: yours has not passed npm run s23 as it is now\)/,
    );
    const checked = await runTool("check", ["23"], { cwd: work });
    expect(checked.code, checked.out).toBe(0);
    const after = await gpt2();
    expect(after.stderr).toMatch(/\(GPT-2's tokenizer, by your step 23\)/);
    expect(after.stdout).toMatch(/^Call me/);
  }, 240_000);
});
