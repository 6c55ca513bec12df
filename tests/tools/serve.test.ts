// `npm run serve` driven by real HTTP clients on loopback: OpenAI's completions shape, streaming,
// a client hanging up, a burst of requests, every kind of bad request, and answers while the model
// works on its own thread.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STEPS, stepPaths } from "../../tools/curriculum.ts";
import { plainCourseCopy, solutionAsStep } from "../course/course-copy.ts";
import { root, runTool } from "./run-tool.ts";
import { ServeProcess } from "./serve-process.ts";

let server: ServeProcess;
beforeAll(async () => {
  server = await ServeProcess.start();
}, 60_000);
afterAll(() => server?.stop());

const post = (body: unknown, path = "/v1/completions", init: RequestInit = {}) =>
  fetch(server.url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });

interface Completion {
  object: string;
  model: string;
  choices: {
    text: string;
    index: number;
    finish_reason: string;
    logprobs: { tokens: string[]; token_logprobs: number[]; top_logprobs: Record<string, number>[] } | null;
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  gpt2: { prompt_ids: number[]; tokens: { id: number; probability: number }[] };
}

/** The events of a server-sent-event stream, parsed. */
async function events(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice(6))
    .map((data) => (data === "[DONE]" ? "[DONE]" : JSON.parse(data)));
}

describe("POST /v1/completions", () => {
  it("answers in OpenAI's shape, with the tokens npm run main writes for the same seed", async () => {
    const response = await post({ prompt: [5, 9, 2], max_tokens: 6, temperature: 1.2, seed: 42, logprobs: 3 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Completion;
    expect(body.object).toBe("text_completion");
    expect(body.usage).toEqual({ prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });
    expect(body.choices[0].finish_reason).toBe("length");
    const cli = await runTool("generate", [
      "--chain=reference",
      "--model",
      "tests/fixtures/tiny-gpt2",
      "--ids",
      "5,9,2",
      "--temperature",
      "1.2",
      "--seed",
      "42",
      "--max-new-tokens",
      "6",
      "--json",
      "--show-top-k",
      "3",
    ]);
    const expected = JSON.parse(cli.stdout) as {
      generated_ids: number[];
      top_k: { id: number; probability: number }[][];
    };
    expect(body.gpt2.tokens.map((t) => t.id)).toEqual(expected.generated_ids);
    const { logprobs } = body.choices[0];
    expect(logprobs!.tokens.join("")).toBe(body.choices[0].text);
    expect(Object.values(logprobs!.top_logprobs[0]).map(Math.exp)[0]).toBeCloseTo(expected.top_k[0][0].probability, 6);
  });

  it("streams server-sent events that add up to the same completion, then [DONE]", async () => {
    const whole = (await (await post({ prompt: "1+2=3", max_tokens: 5, seed: 7 })).json()) as Completion;
    const response = await post({ prompt: "1+2=3", max_tokens: 5, seed: 7, stream: true });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const chunks = await events(response);
    expect(chunks.at(-1)).toBe("[DONE]");
    const parts = chunks.slice(0, -1) as Completion[];
    expect(parts.map((c) => c.choices[0].text).join("")).toBe(whole.choices[0].text);
    expect(parts.at(-1)!.choices[0].finish_reason).toBe("length");
    expect(parts.at(-1)!.usage.completion_tokens).toBe(5);
  });

  /** A streamed generation of `maxTokens` tokens under way (its first token arrived), and how to hang up on it. */
  async function generationUnderWay(maxTokens: number) {
    const controller = new AbortController();
    const response = await post({ prompt: [1, 2], max_tokens: maxTokens, stream: true }, undefined, {
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    return { reader, hangUp: () => controller.abort() };
  }

  it("stops generating when the client hangs up mid-stream, and serves the next request at once", async () => {
    (await generationUnderWay(100_000)).hangUp();
    await server.waitFor(/client went away after (\d+) of 100000 tokens: generation stopped/);
    const next = await post({ prompt: [3], max_tokens: 2 });
    expect(next.status).toBe(200);
  });

  it("answers GET /v1/models while a long generation runs (the model has a thread of its own)", async () => {
    const { reader, hangUp } = await generationUnderWay(99_999);
    const models = await fetch(`${server.url}/v1/models`);
    expect(((await models.json()) as { data: { id: string }[] }).data[0].id).toBe("tests/fixtures/tiny-gpt2");
    expect((await reader.read()).done, "the generation was still running").toBe(false);
    hangUp();
    await server.waitFor(/client went away after \d+ of 99999 tokens: generation stopped/);
  });

  it("answers a burst of concurrent requests one at a time, each as it would be alone", async () => {
    const seeds = [1, 2, 3, 4, 5, 6];
    const alone: number[][] = [];
    for (const seed of seeds)
      alone.push(
        ((await (await post({ prompt: [4, 4], max_tokens: 8, seed })).json()) as Completion).gpt2.tokens.map(
          (t) => t.id,
        ),
      );
    const together = await Promise.all(
      seeds.map((seed) => post({ prompt: [4, 4], max_tokens: 8, seed, stream: seed % 2 === 0 })),
    );
    for (const [i, response] of together.entries()) {
      const ids =
        seeds[i] % 2 === 0
          ? ((await events(response)).slice(0, -2) as (Completion & { gpt2: { id: number } })[]).map((c) => c.gpt2.id)
          : ((await response.json()) as Completion).gpt2.tokens.map((t) => t.id);
      expect(ids, `seed ${seeds[i]}`).toEqual(alone[i]);
    }
  });
});

describe("bad requests get a 4xx with a JSON error naming the field", () => {
  const cases: [string, unknown, number, string | null][] = [
    ["malformed JSON", '{"prompt": "1+2', 400, "body"],
    ["a non-numeric temperature", { prompt: [1], temperature: "hot" }, 400, "temperature"],
    ["a temperature above 2", { prompt: [1], temperature: 5 }, 400, "temperature"],
    ["a negative max_tokens", { prompt: [1], max_tokens: -1 }, 400, "max_tokens"],
    ["a prompt longer than the context (16)", { prompt: Array(17).fill(1) }, 400, "prompt"],
    ["an id out of the vocabulary (64)", { prompt: [1, 64] }, 400, "prompt"],
    ["no prompt", { max_tokens: 3 }, 400, "prompt"],
    ["stream that is not a boolean", { prompt: [1], stream: "yes" }, 400, "stream"],
    ["a body that is not an object", "[1, 2]", 400, null],
    ["a temperature that overflows float32 (1e-38)", { prompt: [1], temperature: 1e-38 }, 400, "temperature"],
    ["a text prompt over 16 characters per position (256 here)", { prompt: "a".repeat(257) }, 400, "prompt"],
    ["n other than 1 (not implemented)", { prompt: [1], n: 2 }, 400, "n"],
    ["an ill-typed n", { prompt: [1], n: "x" }, 400, "n"],
    ["top_p other than 1 (not implemented)", { prompt: [1], top_p: 0.5 }, 400, "top_p"],
    ["stop sequences (not implemented)", { prompt: [1], stop: ["\n"] }, 400, "stop"],
    ["echo (not implemented)", { prompt: [1], echo: true }, 400, "echo"],
  ];
  it.each(cases)("%s", async (_what, body, status, param) => {
    const response = await post(body);
    expect(response.status).toBe(status);
    const { error } = (await response.json()) as { error: { message: string; type: string; param: string | null } };
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBe(param);
    expect(error.message.length).toBeGreaterThan(10);
  });

  it("OpenAI's fields at their defaults are accepted (n 1, top_p 1, echo false, stop null)", async () => {
    const response = await post({ prompt: [1], max_tokens: 1, n: 1, top_p: 1, echo: false, stop: null });
    expect(response.status).toBe(200);
  });

  it("a body over 64 KiB: 413, refused before it is read to the end", async () => {
    const response = await post({ prompt: "x".repeat(70_000) });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe("body");
  });

  it("the wrong method or path: 405 and 404, as JSON", async () => {
    expect((await fetch(`${server.url}/v1/completions`)).status).toBe(405);
    const missing = await fetch(`${server.url}/v2/nothing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/no such endpoint/);
  });

  it("a raw HTTP client with chunked upload gets the same answers", async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${server.url}/v1/completions`,
        { method: "POST", headers: { "content-type": "application/json" } },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on("error", reject);
      req.write('{"prompt": [1, 2], ');
      req.end('"max_tokens": 2}');
    });
    expect(status).toBe(200);
    expect((JSON.parse(body) as Completion).usage.completion_tokens).toBe(2);
  });
});

describe("the server", () => {
  it("listens on 127.0.0.1, and warns when --host opens it to the network", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const open = await ServeProcess.start(["--model", "tests/fixtures/tiny-gpt2", "--port", "0", "--host", "0.0.0.0"]);
    try {
      expect(open.output).toMatch(/warning: listening on 0\.0\.0\.0, so other machines on your network can reach/);
    } finally {
      open.stop();
    }
  });

  it("stops when npm run serve is sent SIGTERM (npm passes it to a shell, not to the server)", async () => {
    const npm = spawn("npm", ["run", "serve", "--", "--model", "tests/fixtures/tiny-gpt2", "--port", "0"], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let output = "";
    npm.stdout.on("data", (d) => (output += d));
    npm.stderr.on("data", (d) => (output += d));
    const start = Date.now();
    while (!/at (http:\/\/\S+) \(Ctrl\+C/.test(output)) {
      if (Date.now() - start > 30_000) throw new Error(`npm run serve did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const url = /at (http:\/\/\S+) \(Ctrl\+C/.exec(output)![1];
    expect((await fetch(`${url}/v1/models`)).status).toBe(200);
    npm.kill("SIGTERM");
    const stopped = Date.now();
    let answering = true;
    while (answering && Date.now() - stopped < 5_000) {
      answering = await fetch(`${url}/v1/models`).then(
        () => true,
        () => false,
      );
      if (answering) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(answering, "the server still answers 5 s after SIGTERM to npm run serve").toBe(false);
  });

  it("a port already in use: one line naming it and what to do, exit 1", async () => {
    const port = new URL(server.url).port;
    const second = await runTool("serve", ["--model", "tests/fixtures/tiny-gpt2", "--port", port]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is already in use`),
    );
    expect(second.stderr).not.toMatch(/\n\s+at /);
  });

  it("on your own chain, names the unfinished step instead of starting (the course's steps/ are skeletons)", async () => {
    const run = await runTool("serve", ["--chain=mine", "--model", "tests/fixtures/tiny-gpt2", "--port", "0"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/step 15 not implemented yet[\s\S]*finish step 15 and check it with npm run s15/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("on your own chain, the model's thread runs your steps", async () => {
    const work = plainCourseCopy();
    for (const step of STEPS.filter((s) => s.nn <= "16"))
      writeFileSync(path.join(work, stepPaths(step.nn).step), solutionAsStep(step.nn));
    // Your step 14, changed to draw token 7 every time: the tokens served say whose code drew them.
    const step14 = path.join(work, stepPaths("14").step);
    writeFileSync(
      step14,
      readFileSync(step14, "utf8").replace(/export function sampleNextToken\([^{]*\{/, "$&\n  return 7;"),
    );
    const mine = await ServeProcess.start(["--chain=mine", "--model", "tests/fixtures/tiny-gpt2", "--port", "0"], work);
    try {
      const response = await fetch(`${mine.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: [1, 2], max_tokens: 4 }),
      });
      expect(((await response.json()) as Completion).gpt2.tokens.map((t) => t.id)).toEqual([7, 7, 7, 7]);
    } finally {
      mine.stop();
    }
  }, 60_000);

  it("draws what each head read when a token was chosen (POST /v1/attention)", async () => {
    const response = await post({ ids: [1, 2, 3, 4], position: 3 }, "/v1/attention");
    expect(response.headers.get("content-type")).toBe("image/svg+xml");
    const svg = await response.text();
    expect(svg).toMatch(/^<svg xmlns/);
    for (const row of ["L0 H0", "L1 H3"]) expect(svg).toContain(row);
    const bad = await post({ ids: [1, 2], position: 5 }, "/v1/attention");
    expect(bad.status).toBe(400);
  });
});
