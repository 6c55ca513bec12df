// `npm run train` on a tiny configuration: the loss falls, the checkpoint loads, a second run
// continues where the first stopped, and Ctrl-C saves before it stops.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadPretrained } from "../../solutions/solution_15.ts";
import { defaultModel, SHIPPED_MODEL, TRAINED_MODEL } from "../../tools/hub/models.ts";
import { parseSafetensors } from "../../lib/safetensors.ts";
import { intTensor } from "../../lib/tensor.ts";
import { TMUX, requireProgram } from "../system-programs.ts";
import { tempDir } from "../temp-dir.ts";
import { terminal } from "./terminal.ts";
import { plainCourseCopy, solutionAsStep } from "../course/course-copy.ts";
import { STEPS, stepPaths } from "../../tools/curriculum.ts";
import { HelperThread } from "../../tools/train/helper-thread.ts";
import { TRAIN_NODE_OPTIONS } from "../../tools/train/node-options.ts";
import { RunFolder } from "../../tools/train/run-folder.ts";
import { root, runTool } from "./run-tool.ts";

// Moby-Dick alone: the default corpus is ten times larger, and these runs only need some text.
const TINY = [
  "--corpus",
  "moby-dick",
  "--n-embd",
  "16",
  "--n-layer",
  "1",
  "--n-head",
  "2",
  "--context",
  "16",
  "--batch",
  "4",
  "--lr",
  "1e-2",
];
const out = path.join(tempDir("train"), "run");

interface State {
  step: number;
  history: { step: number; loss: number; validation?: number }[];
}
const state = () => JSON.parse(readFileSync(path.join(out, "training.json"), "utf8")) as State;

describe("npm run train", () => {
  it("trains a tiny GPT-2: the loss falls, and it saves a checkpoint step 15 loads and a loss curve", async () => {
    const run = await runTool("train", [
      "--out",
      out,
      "--fresh",
      "--steps",
      "12",
      "--eval-every",
      "6",
      "--save-every",
      "6",
      ...TINY,
    ]);
    expect(run.code, run.out).toBe(0);
    expect(run.stdout).toMatch(/a new GPT-2: 1 blocks, width 16/);
    // Every core unless told otherwise (the checker's one thread must not leak into training).
    const threads = process.env.GPT2_THREADS ?? String(availableParallelism());
    if (process.env.GPT2_KERNELS !== "js")
      expect(run.stdout).toMatch(new RegExp(`products on WebAssembly SIMD128.*, ${threads} thread\\(s\\)`));
    expect(run.stdout).toMatch(
      /step 6: loss \d+\.\d+, held-out \d+\.\d+ \(\d\.\d{3} bits per byte\), \d+ tokens\/s — "Call me/,
    );
    expect(run.stdout).toMatch(/finished at step 12: saved to/);
    const { step, history } = state();
    expect(step).toBe(12);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(history.slice(-3).map((h) => h.loss))).toBeLessThan(mean(history.slice(0, 3).map((h) => h.loss)));
    expect(readFileSync(path.join(out, "loss.svg"), "utf8")).toMatch(/^<svg xmlns/);
    const model = loadPretrained(out);
    expect(model.config.n_embd).toBe(16);
    expect(model.forward(intTensor([[464, 3290]])).shape).toEqual([1, 2, 50257]);
    expect(existsSync(`${out}.partial`) || existsSync(`${out}.previous`)).toBe(false);
  }, 120_000);

  it("continues from the saved step when run again", async () => {
    const run = await runTool("train", [
      "--out",
      out,
      "--steps",
      "16",
      "--eval-every",
      "8",
      "--save-every",
      "8",
      ...TINY,
    ]);
    expect(run.code, run.out).toBe(0);
    expect(run.stdout).toMatch(/continuing the run in .* from step 12/);
    expect(state().step).toBe(16);
    expect(state().history.map((h) => h.step)).toEqual([...Array(16).keys()].map((i) => i + 1));
  }, 120_000);

  it("saves and stops cleanly on Ctrl-C, losing no checkpoint", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "tools/commands/train.ts",
        "--out",
        out,
        "--steps",
        "100000",
        "--eval-every",
        "2",
        "--save-every",
        "2",
        ...TINY,
      ],
      { cwd: root },
    );
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const exited = new Promise((resolve) => child.on("exit", resolve));
    let code: unknown;
    try {
      const start = Date.now();
      while (!/step 20: loss/.test(output)) {
        if (Date.now() - start > 90_000) throw new Error(`no progress:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      child.kill("SIGINT");
      code = await Promise.race([
        exited,
        new Promise((resolve) => setTimeout(() => resolve("still running 20 s after Ctrl-C"), 20_000)),
      ]);
    } finally {
      child.kill("SIGKILL"); // never leave a 100,000-step run behind a failed test
    }
    expect(code).toBe(0);
    expect(output).toMatch(/stopped at step (\d+): saved/);
    const stopped = Number(/stopped at step (\d+)/.exec(output)![1]);
    expect(state().step).toBe(stopped);
    expect(loadPretrained(out).config.n_layer).toBe(1);
  }, 120_000);

  it("Ctrl-C typed at a terminal running npm run train saves and stops (tmux: SIGINT to the whole group)", async (context) => {
    const tmuxPath = requireProgram(TMUX);
    if (tmuxPath.path === null) return context.skip(tmuxPath.skipReason);
    const run = path.join(tempDir("train-ctrlc"), "run");
    const name = `trainctrlc${process.pid}`;
    const { tmux, screen, waitScreen } = terminal(tmuxPath.path, name, 60_000);
    tmux("new-session", "-d", "-s", name, "-x", "200", "-y", "50", "-c", root);
    try {
      tmux("set-option", "-t", name, "remain-on-exit", "on"); // keep the screen after npm exits
      const flags = ["--out", run, "--steps", "100000", "--eval-every", "1000", "--save-every", "1000", ...TINY];
      tmux("respawn-pane", "-k", "-t", name, `NO_COLOR=1 npm run train -- ${flags.join(" ")}`);
      await waitScreen(/step [3-9]\d*\/100000|step \d{2,}\/100000/); // a few steps in, long before the first periodic save
      tmux("send-keys", "-t", name, "C-c");
      await waitScreen(/stopped at step \d+: saved/);
      const text = screen();
      expect(text).toMatch(/stopping after this step \(Ctrl-C again to stop at once\)/);
      const stopped = Number(/stopped at step (\d+): saved/.exec(text)![1]);
      const saved = JSON.parse(readFileSync(path.join(run, "training.json"), "utf8")) as State;
      expect(saved.step).toBe(stopped);
      expect(loadPretrained(run).config.n_layer).toBe(1);
    } finally {
      tmux("kill-session", "-t", name);
    }
  }, 120_000);
});

describe("how npm run train starts node", () => {
  it("with the V8 options its memory figures were measured with (tools/train/node-options.ts)", () => {
    const script: string = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts.train;
    expect(script.split(" ")).toEqual(expect.arrayContaining(TRAIN_NODE_OPTIONS));
  });
});

describe("the helper thread (tokenizer and loss curve)", () => {
  /** The process's threads, as Linux counts them. */
  const threads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
  const until = async (condition: () => boolean) => {
    for (let waited = 0; !condition() && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    return condition();
  };

  it.runIf(process.platform === "linux")(
    "rests between jobs (its thread ends) and wakes to answer as before",
    async () => {
      const before = threads();
      const helper = await HelperThread.start({ source: null, chain: "reference", corpus: "moby-dick" });
      const corpus = await helper.corpus();
      const running = threads();
      expect(running).toBeGreaterThan(before);
      const ids = await helper.encode(" Call me Ishmael.");
      helper.rest();
      expect(await until(() => threads() < running), "the thread ended").toBe(true);
      // A request wakes it; what it answers is what the first thread answered.
      expect(await helper.decode(ids)).toBe(" Call me Ishmael.");
      expect(await helper.encode(" Call me Ishmael.")).toEqual(ids);
      expect(await helper.lossCurve({ history: [{ step: 1, loss: 9 }] })).toContain("<svg");
      expect(threads()).toBeGreaterThanOrEqual(running);
      helper.rest();
      expect(await until(() => threads() < running), "the thread ended again").toBe(true);
      expect(corpus.train.length).toBeGreaterThan(100_000);
    },
    60_000,
  );
});

describe("fine-tuning (--from)", () => {
  it("starts from a trained checkpoint: its shape, and a held-out loss far below a new model's", async () => {
    const run = path.join(tempDir("finetune"), "run");
    const result = await runTool("train", [
      "--from",
      "default-model",
      "--corpus",
      "moby-dick",
      "--out",
      run,
      "--steps",
      "3",
      "--eval-every",
      "3",
    ]);
    expect(result.code, result.out).toBe(0);
    expect(result.stdout).toMatch(/fine-tuning default-model: 2 blocks, width 64, 4 heads, 3,320,640 parameters/);
    const heldOut = Number(/step 3: loss [\d.]+, held-out ([\d.]+)/.exec(result.stdout)?.[1]);
    expect(heldOut, "a new model starts at ~10.8 nats; the shipped one knows some English").toBeLessThan(8);
    type Saved = State & { from: string; options: { batch: number; lr: number } };
    const saved = () => JSON.parse(readFileSync(path.join(run, "training.json"), "utf8")) as Saved;
    expect(saved().from).toBe("default-model");
    expect(loadPretrained(run).config.n_embd).toBe(64);
    // A fine-tune's own defaults (half the batch, a tenth of the rate), kept when the run is continued without --from.
    expect(saved().options).toMatchObject({ batch: 4, lr: 3e-4 });
    const again = await runTool("train", ["--corpus", "moby-dick", "--out", run, "--steps", "4", "--eval-every", "4"]);
    expect(again.code, again.out).toBe(0);
    expect(again.stdout).toMatch(/continuing the run in .* from step 3/);
    expect(saved().options).toMatchObject({ batch: 4, lr: 3e-4 });
    // Another model into the same folder would silently continue this one: refused in one line.
    const other = await runTool("train", ["--from", path.join(root, "tests", "fixtures", "tiny-gpt2"), "--out", run]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/the run in .* fine-tunes default-model, not .*tiny-gpt2: start again with --fresh/);
    expect(other.out).not.toMatch(/\n\s+at /);
  }, 120_000);

  it("refuses a checkpoint whose vocabulary does not fit its tokenizer, or one not downloaded, in one line", async () => {
    const tiny = path.join(root, "tests", "fixtures", "tiny-gpt2");
    const small = await runTool("train", [
      "--from",
      tiny,
      "--corpus",
      "moby-dick",
      "--out",
      path.join(out, "-tiny"),
      "--steps",
      "1",
    ]);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(
      /has a vocabulary of 64 tokens, but GPT-2's tokenizer \(it has no vocab\.json and merges\.txt of its own\) has 50,257/,
    );
    const absent = await runTool("train", [
      "--from",
      "gpt2-xl",
      "--corpus",
      "moby-dick",
      "--out",
      path.join(out, "-xl"),
      "--steps",
      "1",
    ]);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toMatch(/npm run download -- gpt2-xl/);
    for (const r of [small, absent]) expect(r.out).not.toMatch(/\n\s+at /);
  });
});

describe("Ctrl-C twice", () => {
  it("stops at once, and the last periodic save is intact", async (context) => {
    const tmuxPath = requireProgram(TMUX);
    if (tmuxPath.path === null) return context.skip(tmuxPath.skipReason);
    const run = path.join(tempDir("train-ctrlc2"), "run");
    const name = `trainctrlc2${process.pid}`;
    const { tmux, screen, waitScreen, ended } = terminal(tmuxPath.path, name, 60_000);
    tmux("new-session", "-d", "-s", name, "-x", "200", "-y", "50", "-c", root);
    try {
      tmux("set-option", "-t", name, "remain-on-exit", "on");
      const flags = ["--out", run, "--steps", "100000", "--eval-every", "1000", "--save-every", "5", ...TINY];
      tmux("respawn-pane", "-k", "-t", name, `NO_COLOR=1 npm run train -- ${flags.join(" ")}`);
      await waitScreen(/step (1[2-9]|[2-9]\d|\d{3,})\/100000/); // past the second periodic save
      // Twice, as a person does: two presses in one burst would reach node as one signal.
      tmux("send-keys", "-t", name, "C-c");
      await new Promise((resolve) => setTimeout(resolve, 150));
      tmux("send-keys", "-t", name, "C-c");
      const how = await ended();
      expect(how, screen()).not.toBeNull();
      // 130: stopped by the second Ctrl-C (usually mid-step, before the last evaluation and save). On
      // a slow machine the first one's evaluation and save can finish before the second press lands.
      if (!/stopped at step \d+: saved to/.test(screen()))
        expect(["130/", "/2"], `exit status/signal ${how}\n${screen()}`).toContain(how);
      const saved = JSON.parse(readFileSync(path.join(run, "training.json"), "utf8")) as State;
      // The last save is a periodic one (a multiple of 5) or, on a slow machine where the first
      // Ctrl-C's save finished before the second press, the step the first press stopped at.
      expect(saved.step).toBeGreaterThanOrEqual(10);
      expect(loadPretrained(run).config.n_layer).toBe(1);
      expect(existsSync(`${run}.partial`) && !existsSync(run)).toBe(false);
    } finally {
      tmux("kill-session", "-t", name);
    }
  }, 120_000);
});

describe("--vocab N: a tokenizer of its own", () => {
  it("trains one on the corpus first (step 24), writes it beside the model, and npm run main reads and scores with it", async () => {
    const dir = path.join(tempDir("train-vocab"), "run");
    const flags = ["--out", dir, "--vocab", "300", "--steps", "2", "--eval-every", "2", ...TINY];
    const run = await runTool("train", flags);
    expect(run.code, run.out).toBe(0);
    expect(run.stdout).toMatch(/trained a tokenizer of 300 tokens on Moby-Dick in \d+\.\d s \(step 24\)/);
    expect(run.stdout).toMatch(/\(a tokenizer trained on Moby-Dick \(300 tokens\), by the reference step 23;/);
    expect(run.stdout).toMatch(
      /saved to .* \(config\.json, model\.safetensors, vocab\.json, merges\.txt, training\.json/,
    );
    expect(loadPretrained(dir).config.vocab_size).toBe(300);
    expect(readFileSync(path.join(dir, "merges.txt"), "utf8").split("\n")[0]).toBe("#version: 0.2");
    const generated = await runTool("generate", [
      "--chain=reference",
      "--model",
      dir,
      "Call me",
      "--max-new-tokens",
      "4",
    ]);
    expect(generated.code, generated.out).toBe(0);
    expect(generated.stderr).toMatch(/\(run's own tokenizer \(300 tokens\), by the reference step 23\)/);
    expect(generated.stdout).toMatch(/^Call me/);
    // Scored per byte on text no run trains on, with the model's own tokenizer (the chapter's experiment).
    const scored = await runTool("generate", ["--chain=reference", "--model", dir, "--score", "modern-english"]);
    expect(scored.stdout).toMatch(/^modern-english: [\d,]+ tokens scored, [\d.]+ nats per token, [\d.]+ bits per byte/);
    // The same folder with another size: the run's vocabulary is part of its model.
    const other = await runTool("train", ["--out", dir, "--vocab", "400", "--steps", "4", ...TINY]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/has its own tokenizer of 300 tokens, not one of 400: start again with --fresh/);
    const both = await runTool("train", ["--from", dir, "--vocab", "400", ...TINY]);
    expect(both.stderr).toMatch(
      /--vocab trains a new tokenizer for a new model; a model given with --from keeps its own/,
    );
  }, 180_000);
});

describe("refusing early", () => {
  it("a --out it cannot save into, or a damaged run, is one line before the first step", async () => {
    const file = path.join(tempDir("train-out"), "a-file");
    writeFileSync(file, "");
    const blocked = await runTool("train", ["--out", path.join(file, "run"), "--steps", "1", ...TINY]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/cannot save into .*a-file\/run: .*Choose another folder with --out DIR/);
    const damaged = path.join(tempDir("train-damaged"), "run");
    mkdirSync(damaged);
    writeFileSync(path.join(damaged, "training.json"), "{broken");
    const run = await runTool("train", ["--out", damaged, "--steps", "1", ...TINY]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/training\.json is damaged: start again with --fresh/);
    // The tokenizer is read on the helper thread: its damaged files are one line all the same.
    const lone = path.join(tempDir("train-tokenizer"), "run");
    mkdirSync(lone);
    writeFileSync(path.join(lone, "training.json"), JSON.stringify({ step: 1, options: {} }));
    writeFileSync(path.join(lone, "vocab.json"), "{}");
    const tokenizer = await runTool("train", ["--out", lone, "--steps", "2", ...TINY]);
    expect(tokenizer.code).toBe(1);
    expect(tokenizer.stderr).toMatch(/run has vocab\.json but not merges\.txt: a tokenizer needs both/);
    for (const r of [blocked, run, tokenizer]) expect(r.out).not.toMatch(/\n\s+at /);
  });
});

describe("on your own chain", () => {
  it("names the unfinished step to finish, without a stack trace (the course's steps/ are skeletons)", async () => {
    const run = await runTool("train", ["--chain=mine", "--out", `${out}-mine`, "--steps", "2", ...TINY]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/trains with your steps 17–22, and step 17 is not started: finish it \(npm run s17\)/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(`${out}-mine`)).toBe(false);
  });

  it("refuses a step that is written but wrong, before the first training step", async () => {
    // Every step done, but step 22's trainStep steps at the optimizer's own rate, not the schedule's.
    const work = plainCourseCopy();
    for (const step of STEPS.filter((s) => s.nn < "22"))
      writeFileSync(path.join(work, stepPaths(step.nn).step), solutionAsStep(step.nn));
    const wrong = solutionAsStep("22").replace("optimizer.update(grads, lr)", "optimizer.update(grads)");
    expect(wrong).not.toBe(solutionAsStep("22"));
    writeFileSync(path.join(work, stepPaths("22").step), wrong);
    const run = await runTool("train", ["--chain=mine", "--out", "run", "--steps", "2", ...TINY], { cwd: work });
    expect(run.code, run.out).toBe(1);
    expect(run.stderr).toMatch(/step 22 passes \d+ of \d+ checks: finish it \(npm run s22\)/);
    expect(existsSync(path.join(work, "run"))).toBe(false);
    // Put right, the same command trains on the learner's steps and points at their own model.
    writeFileSync(path.join(work, stepPaths("22").step), solutionAsStep("22"));
    const fixed = await runTool("train", ["--chain=mine", "--out", "run", "--steps", "2", ...TINY], { cwd: work });
    expect(fixed.code, fixed.out).toBe(0);
    expect(fixed.stdout).toMatch(/step 2: loss .* bits per byte[\s\S]*Try it: npm run gpt2 -- "Call me" --model run/);
  }, 120_000);
});

describe("the default model", () => {
  it("is GPT-2 once downloaded, else the model npm run train made, else the one shipped, named on stderr", () => {
    const home = tempDir("models");
    const shipped = path.join(home, "shipped");
    const put = (dir: string) => {
      mkdirSync(dir, { recursive: true });
      cpSync(path.join(SHIPPED_MODEL, "config.json"), path.join(dir, "config.json")); // any model will do: only its presence counts
      cpSync(path.join(SHIPPED_MODEL, "model.safetensors"), path.join(dir, "model.safetensors"));
    };
    expect(defaultModel(home, shipped)).toEqual({ model: "gpt2" }); // nothing at all: the loader explains how to get one
    put(shipped);
    expect(defaultModel(home, shipped)).toMatchObject({
      model: shipped,
      note: expect.stringMatching(/the small GPT-2 the course ships/),
    });
    put(path.join(home, TRAINED_MODEL));
    expect(defaultModel(home, shipped)).toMatchObject({
      model: TRAINED_MODEL,
      note: expect.stringMatching(/the small GPT-2 npm run train made;/),
    });
    put(path.join(home, "models", "gpt2"));
    expect(defaultModel(home, shipped)).toEqual({ model: "gpt2" });
  });

  it("ships in default-model/: bfloat16 weights in Hugging Face's layout, the record of its run, and it writes", async () => {
    const file = parseSafetensors(readFileSync(path.join(SHIPPED_MODEL, "model.safetensors")));
    expect(file.metadata.format).toBe("pt");
    const bytes = readFileSync(path.join(SHIPPED_MODEL, "model.safetensors"));
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8"));
    expect(header["transformer.wte.weight"].dtype).toBe("BF16");
    const run = JSON.parse(readFileSync(path.join(SHIPPED_MODEL, "training.json"), "utf8")) as State;
    expect(run.step).toBe(2400);
    const held = run.history.filter((h) => h.validation !== undefined).map((h) => h.validation!);
    expect(held.at(-1)!).toBeLessThan(held[0]);
    const { stdout, stderr, code } = await runTool("generate", [
      "--model",
      SHIPPED_MODEL,
      "--greedy",
      "--max-new-tokens",
      "8",
      "Call me",
    ]);
    expect(code).toBe(0);
    expect(stdout.startsWith("Call me")).toBe(true);
    expect(stderr).toMatch(/8 tokens in/);
  });
});

describe("a save that fails (a full disk)", () => {
  it("leaves the last complete save as it was, and says which step it holds", () => {
    const run = path.join(tempDir("save"), "run");
    const folder = new RunFolder(run);
    const writeModel = (text: string) => (dir: string) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "model.safetensors"), text);
    };
    const state = { step: 5, history: [{ step: 5, loss: 3 }] };
    folder.save(writeModel("step 5"), state, "<svg/>");
    const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    const failing = (dir: string) => {
      writeModel("half of step 6")(dir);
      throw full;
    };
    expect(() => folder.save(failing, { ...state, step: 6 }, "<svg/>")).toThrow(
      /could not save step 6 in .*run \(ENOSPC: no space left on device, write\); the save of step 5 is intact/,
    );
    expect(readFileSync(path.join(run, "model.safetensors"), "utf8")).toBe("step 5");
    expect(existsSync(`${run}.partial`)).toBe(false);
  });
});
