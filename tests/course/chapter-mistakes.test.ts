// Every mistake a chapter of Parts II–IV lists under "Common mistakes" is made on purpose in
// a copy of the course, and `npm run sNN` must fail and name it. Also the mistakes a learner's
// walkthrough found passing the checks (issue 21), and a crash that must point at the learner's line.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type Edit, plainCourseCopy } from "./course-copy.ts";
import { root } from "../tools/run-tool.ts";

interface Mistake {
  /** The chapter's name for it, which the output must contain (or `says`, when given). */
  name: string;
  edits: Edit[];
  /** What the output must match instead of the name: for mistakes the table does not list. */
  says?: RegExp;
}

const re = (regex: string, flags = "") => ({ regex, flags });

const MISTAKES: Record<string, Mistake[]> = {
  "16": [
    { name: "positions not offset", edits: [["transformer.wpe.forward(T, past)", "transformer.wpe.forward(T, 0)"]] },
    {
      name: "cache not appended",
      edits: [[re("past \\? F\\.concat\\(\\[past\\.(key|value), heads\\((k|v)\\)\\], 2\\) : ", "g"), ""]],
    },
    { name: "keys and values swapped", edits: [["present: { key, value }", "present: { key: value, value: key }"]] },
    {
      name: "the head at every prompt position",
      edits: [
        [", cache, { lastOnly: true });", ", cache);"],
        ["F.reshape(step.logits, [vocab])", "F.reshape(F.split(step.logits, [input.length - 1, 1], 1)[1], [vocab])"],
      ],
    },
    {
      name: "cache never dropped at the context limit",
      edits: [["cache = step.cache[0].key.shape[2] < context ? step.cache : null;", "cache = step.cache;"]],
      says: /✘ generateWithCache: greedy decoding past the context limit[\s\S]*?at steps\/step_16\.ts:\d+:\d+/,
    },
    {
      name: "heads split by head_dim instead of n_head",
      edits: [["splitHeads(t, attn.config.n_head)", "splitHeads(t, attn.config.n_embd / attn.config.n_head)"]],
      says: /✘ with 2 heads of 8/,
    },
    {
      name: "the given cache mutated",
      edits: [["present: { key, value } };", "present: Object.assign(past ?? { key, value }, { key, value }) };"]],
      says: /✘ a cache can be used twice/,
    },
  ],
  "17": [
    {
      name: "gradient not divided by B·T",
      edits: [
        ["for (let v = 0; v < V; v++) grad[start + v] /= B * T;", ""],
        ["-= 1 / (B * T);", "-= 1;"],
      ],
    },
    { name: "one-hot not subtracted", edits: [[re("\\n\\s+grad\\[start \\+ targets.*\\n"), "\n"]] },
    { name: "sum instead of mean", edits: [["return total / (B * T);", "return total;"]] },
    {
      name: "probability instead of log",
      edits: [
        ["total -= logp.get(b, t, targets.get(b, t));", "total += 1 - Math.exp(logp.get(b, t, targets.get(b, t)));"],
      ],
    },
    { name: "targets not shifted", edits: [["targets: columns(1)", "targets: columns(0)"]] },
    { name: "mean over T only", edits: [["return total / (B * T);", "return total / T;"]] },
    {
      name: "log of softmax",
      edits: [["const logp = F.logSoftmax(logits);", "const logp = F.map(F.softmax(logits), Math.log);"]],
    },
    {
      name: "softmax without the max shift",
      edits: [
        ["import { ShapeError,", "import { ShapeError, contiguousData,"],
        [
          "const grad = F.softmax(logits).data;",
          "const z = contiguousData(logits);\n  const grad = new Float32Array(z.length);\n  for (let row = 0; row < B * T; row++) {\n    let sum = 0;\n    for (let v = 0; v < V; v++) sum += Math.exp(z[row * V + v]);\n    for (let v = 0; v < V; v++) grad[row * V + v] = Math.exp(z[row * V + v]) / sum;\n  }",
        ],
      ],
    },
    {
      name: "maximum starts at 0",
      edits: [
        [
          "const logp = F.logSoftmax(logits);",
          "const shift = F.map(F.max(logits), (m) => Math.max(m, 0)); // the maximum, starting at 0\n  const shifted = F.sub(logits, shift);\n  const logp = F.sub(shifted, F.map(F.sum(F.exp(shifted)), Math.log));",
        ],
      ],
      says: /✘ stays finite[\s\S]*−1000, −1001/,
    },
    {
      name: "softmax written into the logits",
      edits: [
        ["const grad = F.softmax(logits).data;", "const grad = logits.data;\n  grad.set(F.softmax(logits).data);"],
      ],
      says: /wrote into its input/,
    },
  ],
  "18": [
    {
      name: "dbias of the last position only",
      edits: [
        [
          "const dbias = F.reshape(F.matmul(ones([1, d.shape[0]]), d), [out]);",
          "const dbias = F.reshape(F.split(d, [d.shape[0] - 1, 1], 0)[1], [out]);",
        ],
      ],
    },
    {
      name: "dweight from one batch row",
      edits: [
        [
          "const dweight = F.matmul(F.transpose(d, 0, 1), F.reshape(x, [-1, inner]));",
          "const first = (t: Tensor) => F.split(t, [x.shape[1], t.shape[0] - x.shape[1]], 0)[0];\n  const dweight = F.matmul(F.transpose(first(d), 0, 1), first(F.reshape(x, [-1, inner])));",
        ],
      ],
    },
    {
      name: "dbias as a mean",
      edits: [["F.matmul(ones([1, d.shape[0]]), d)", "F.matmul(ones([1, d.shape[0]]), F.mul(d, 1 / d.shape[0]))"]],
    },
    {
      name: "gelu: derivative of the exact erf GELU",
      edits: [
        [
          re("const t = 1 - 2 / \\(Math\\.exp[\\s\\S]*?;\\n[\\s\\S]*?return .*;"),
          "const z = Math.abs(v) / Math.SQRT2; // erf by Abramowitz and Stegun 7.1.26\n    const k = 1 / (1 + 0.3275911 * z);\n    const erf = Math.sign(v) * (1 - k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429)))) * Math.exp(-z * z));\n    return 0.5 * (1 + erf) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI);",
        ],
      ],
    },
    {
      name: "gelu: product rule forgotten",
      edits: [
        ["return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * C * (1 + 3 * 0.044715 * v * v);", "return 0.5 * (1 + t);"],
      ],
    },
    { name: "gelu: dout not multiplied", edits: [["return F.mul(derivative, dout);", "return derivative;"]] },
    {
      name: "mean terms dropped",
      edits: [[re("const dx = F\\.div\\(F\\.sub\\(F\\.sub\\(dxhat.*;"), "const dx = F.div(dxhat, std);"]],
    },
    {
      name: "variance term dropped",
      edits: [
        [
          re("const dx = F\\.div\\(F\\.sub\\(F\\.sub\\(dxhat.*;"),
          "const dx = F.div(F.sub(dxhat, F.mean(dxhat)), std);",
        ],
      ],
    },
    {
      name: "mean term dropped",
      edits: [
        [
          re("const dx = F\\.div\\(F\\.sub\\(F\\.sub\\(dxhat.*;"),
          "const dx = F.div(F.sub(dxhat, F.mul(xhat, F.mean(F.mul(dxhat, xhat)))), std);",
        ],
      ],
    },
    { name: "weight not applied", edits: [["const dxhat = F.mul(dout, weight);", "const dxhat = dout;"]] },
    { name: "dweight without x̂", edits: [["positions(F.mul(dout, xhat))", "positions(dout)"]] },
  ],
  "19": [
    {
      name: "diagonal Jacobian only",
      edits: [
        [
          "return F.mul(weights, F.sub(dweights, F.sum(F.mul(dweights, weights))));",
          "return F.mul(F.mul(weights, F.sub(1, weights)), dweights);",
        ],
      ],
    },
    {
      name: "softmax backward skipped",
      edits: [["return F.mul(weights, F.sub(dweights, F.sum(F.mul(dweights, weights))));", "return dweights;"]],
    },
    {
      name: "scale forgotten in the backward",
      edits: [
        [
          "const dscores = F.mul(softmaxBackward(weights, dweights), scale);",
          "const dscores = softmaxBackward(weights, dweights);",
        ],
        ["dk: F.matmul(T(dscores), q)", "dk: F.mul(F.matmul(T(dscores), q), scale)"],
      ],
    },
    {
      name: "scale on dq only",
      edits: [
        [
          "const dscores = F.mul(softmaxBackward(weights, dweights), scale);",
          "const dscores = softmaxBackward(weights, dweights);",
        ],
        ["dq: F.matmul(dscores, k)", "dq: F.mul(F.matmul(dscores, k), scale)"],
      ],
    },
    { name: "dv without the transpose", edits: [["F.matmul(T(weights), dout)", "F.matmul(weights, dout)"]] },
    {
      name: "dk from dscores, not its transpose",
      edits: [["dk: F.matmul(T(dscores), q)", "dk: F.matmul(dscores, q)"]],
    },
  ],
  "20": [
    {
      name: "tied head's gradient not added to wte",
      edits: [["const dwte = head.dweight;", "const dwte = zeros(transformer.wte.weight.shape);"]],
    },
    {
      name: "repeated ids overwrite instead of add",
      edits: [
        ["const dwte = head.dweight;", "const dwte = F.add(head.dweight, 0); // a copy"],
        [
          "dwte.set(ids.get(b, t), c, dwte.get(ids.get(b, t), c) + g);",
          "dwte.set(ids.get(b, t), c, head.dweight.get(ids.get(b, t), c) + g);",
        ],
      ],
    },
    {
      name: "wpe from the first sequence only",
      edits: [["dwpe.set(t, c, dwpe.get(t, c) + g);", "if (b === 0) dwpe.set(t, c, dwpe.get(t, c) + g);"]],
    },
    { name: "attention residual's gradient not added", edits: [["dx = F.add(dresidual, ln1.dx);", "dx = ln1.dx;"]] },
    {
      name: "MLP residual's gradient not added",
      edits: [["const dresidual = F.add(dx, ln2.dx);", "const dresidual = ln2.dx;"]],
    },
    {
      name: "a crash in a function the step calls",
      edits: [
        [
          "linearBackward(a.act, block.mlp.c_proj.weight, dx)",
          "linearBackward((a as any).weight, block.mlp.c_proj.weight, dx)",
        ],
      ],
      says: /your code threw TypeError[^\n]*\n\s+at steps\/step_20\.ts:\d+:\d+\n\s+\(raised inside lib\/functional\.ts/,
    },
    {
      name: "dout split by head_dim instead of n_head",
      edits: [["splitHeads(out.dx, config.n_head)", "splitHeads(out.dx, config.n_embd / config.n_head)"]],
      says: /✘ with 2 heads of 8/,
    },
  ],
  "21": [
    {
      name: "no bias correction",
      edits: [
        ["const stepSize = lr / correction1;", "const stepSize = lr;"],
        ["const inverseRoot2 = 1 / Math.sqrt(correction2);", "const inverseRoot2 = 1;"],
      ],
    },
    {
      name: "weight decay on every parameter",
      edits: [
        [
          "const keep = 1 - (decays(parameter) ? lr * this.weightDecay : 0);",
          "const keep = 1 - lr * this.weightDecay;",
        ],
      ],
    },
    {
      name: "L2 penalty instead of decoupled decay",
      edits: [
        [
          "const keep = 1 - (decays(parameter) ? lr * this.weightDecay : 0);",
          "const l2 = decays(parameter) ? this.weightDecay : 0;\n      const keep = 1;",
        ],
        ["const gi = g[i];", "const gi = g[i] + l2 * p[i];"],
      ],
    },
    { name: "tied table updated twice", edits: [["if (seen.has(parameter)) continue;", ""]] },
    {
      name: "tied table counted twice",
      edits: [["const distinct = [...new Set(Object.values(grads))];", "const distinct = Object.values(grads);"]],
    },
    {
      name: "clipped per tensor",
      edits: [
        [
          re("  if \\(norm > maxNorm\\) \\{[\\s\\S]*?\\n  \\}\\n"),
          "  for (const g of distinct) {\n    const data = contiguousData(g);\n    let own = 0;\n    for (let i = 0; i < data.length; i++) own += data[i] * data[i];\n    const scale = Math.min(1, maxNorm / (Math.sqrt(own) + 1e-6));\n    for (let i = 0; i < data.length; i++) data[i] *= scale;\n    writeContiguousData(g, data);\n  }\n",
        ],
      ],
    },
    {
      name: "update ignores its lr",
      edits: [
        [
          "update(grads: Record<string, Tensor>, lr = this.lr): void {",
          "update(grads: Record<string, Tensor>, _lr = this.lr): void {\n    const lr = this.lr;",
        ],
      ],
    },
    {
      name: "schedule: no warmup",
      edits: [
        ["  if (step < warmup) return (maxLr * (step + 1)) / warmup;\n", ""],
        ["const progress = (step - warmup) / (total - warmup);", "const progress = step / total;"],
      ],
    },
    { name: "schedule: warmup off by one", edits: [["(maxLr * (step + 1)) / warmup", "(maxLr * step) / warmup"]] },
    {
      name: "the norm's square compared with maxNorm",
      edits: [["if (norm > maxNorm) {", "if (sum > maxNorm) {"]],
      says: /after clipping to 0\.4/,
    },
    {
      name: "a fast path for views at an offset that ignores the offset",
      edits: [
        [
          "const p = contiguousData(parameter);",
          "const p = parameter.stride.at(-1) === 1 ? parameter.data.subarray(0, parameter.size) : contiguousData(parameter);",
        ],
      ],
      says: /one shared buffer/,
    },
  ],
  "22": [
    {
      name: "the schedule's rate not passed to the optimizer",
      edits: [["optimizer.update(grads, lr);", "optimizer.update(grads);"]],
    },
    {
      name: "last window never drawn",
      edits: [["rng.uniform() * (tokens.length - T)", "rng.uniform() * (tokens.length - T - 1)"]],
    },
    {
      name: "only the last batch's loss",
      edits: [
        [
          re("total \\+= crossEntropy\\(model\\.forward\\(inputs\\), targets\\) \\* rows\\.length;.*"),
          "total = crossEntropy(model.forward(inputs), targets);",
        ],
        ["return total / count;", "return total;"],
      ],
    },
    { name: "gradients not clipped", edits: [["const norm = clipGradNorm(grads, clip);", "const norm = 0 * clip;"]] },
    {
      name: "mean of batch means",
      edits: [
        [
          re("total \\+= crossEntropy\\(model\\.forward\\(inputs\\), targets\\) \\* rows\\.length;.*"),
          "total += crossEntropy(model.forward(inputs), targets);",
        ],
        ["return total / count;", "return total / Math.ceil(count / B);"],
      ],
    },
    {
      name: "saveCheckpoint drops the metadata it is given",
      edits: [['{ format: "pt", ...metadata }', '{ format: "pt" }']],
      says: /trained_steps/,
    },
  ],
  "23": [
    {
      name: "merges in the order found",
      edits: [["(a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])", "(a, b) => a[1] < b[1]"]],
    },
    { name: "only one merge pass", edits: [["      offer(prev[i]);\n      offer(i);\n", ""]] },
    {
      name: "UTF-16 code units instead of UTF-8 bytes",
      edits: [
        ["for (const b of utf8.encode(piece))", "for (const b of Uint8Array.from(piece, (c) => c.charCodeAt(0)))"],
      ],
    },
    { name: "raw bytes looked up", edits: [["word += this.byteEncoder[b];", "word += String.fromCharCode(b);"]] },
    { name: "pattern without the u flag", edits: [["|\\s+(?!\\S)|\\s+/gu;", "|\\s+(?!\\S)|\\s+/g;"]] },
    {
      name: "ASCII-only letters",
      edits: [[" ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+", " ?[A-Za-z]+| ?[0-9]+| ?[^\\sA-Za-z0-9]+"]],
    },
    {
      name: "special token split when allowed",
      edits: [["if (options.allowSpecial) {", "if (options.allowSpecial && text === null) {"]],
    },
    {
      name: "special token when not allowed",
      edits: [["if (options.allowSpecial) {", "if (options.allowSpecial || text !== null) {"]],
    },
    {
      name: "decoded token by token",
      edits: [
        ["return new TextDecoder().decode(all);", 'return parts.map((p) => new TextDecoder().decode(p)).join("");'],
      ],
    },
  ],
  "24": [
    {
      name: "pairs counted across word boundaries",
      edits: [
        [
          "for (const [word, count] of wordCounts(text)) {",
          'for (const [word, count] of new Map([[Array.from(utf8.encode(text), (b) => bytesToUnicode()[b]).join(""), 1]])) {',
        ],
      ],
    },
    {
      name: "not weighted by word frequency",
      edits: [["counts.set(word, (counts.get(word) ?? 0) + 1);", "counts.set(word, 1);"]],
    },
    {
      name: "ties broken differently",
      edits: [
        ["if (a[1] !== b[1]) return a[1] < b[1];", "if (a[1] !== b[1]) return a[1] > b[1];"],
        ["return a[2] < b[2];", "return a[2] > b[2];"],
      ],
    },
    { name: "stale counts", edits: [["      add(w, -1, changed);\n", ""]] },
  ],
};

const run = promisify(execFile);

/** What `npm run sNN` says for each of step `nn`'s mistakes, from one process in a copy of the course. */
async function outputs(nn: string, mistakes: Mistake[]): Promise<string[]> {
  const work = plainCourseCopy();
  const list = path.join(work, `mistakes-${nn}.json`);
  writeFileSync(list, JSON.stringify(mistakes.map((m) => m.edits)));
  const { stdout } = await run(process.execPath, ["--import", "tsx", "tests/course/mistake-runner.ts", nn, list], {
    cwd: work,
    env: { ...process.env, NO_COLOR: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as string[];
}

describe("every Common mistake of chapters 16–24 (and more a learner made) is named by npm run sNN when made", () => {
  for (const [nn, mistakes] of Object.entries(MISTAKES))
    it(`step ${nn}: ${mistakes.map((m) => m.name).join("; ")}`, async () => {
      const said = await outputs(nn, mistakes);
      mistakes.forEach((mistake, i) => {
        expect(said[i], `step ${nn}, "${mistake.name}": a check fails`).toMatch(/ ✘ /);
        expect(said[i], `step ${nn}, "${mistake.name}": the output names it`).toMatch(
          mistake.says ?? new RegExp(mistake.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
        );
        expect(said[i], `step ${nn}, "${mistake.name}": no frame of the reference is blamed`).not.toMatch(
          /\n\s+at solutions\//,
        );
      });
    }, 120_000);

  it("the test makes every mistake the chapters list", () => {
    for (const nn of Object.keys(MISTAKES)) {
      const text = readFileSync(path.join(root, "book", "src", `step_${nn}.md`), "utf8");
      const table = /^## Common mistakes\n([\s\S]*?)(?=\n## )/m.exec(text)?.[1] ?? "";
      const listed = [...table.matchAll(/^\| ([^|]+?) \|/gm)]
        .map((m) => m[1])
        .filter((n) => n !== "mistake" && !/^-+$/.test(n));
      const made = MISTAKES[nn].map((m) => m.name);
      expect(
        listed.filter((name) => !made.includes(name)),
        `step ${nn}: listed but never made`,
      ).toEqual([]);
    }
  });
});
