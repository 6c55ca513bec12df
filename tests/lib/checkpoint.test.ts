// A checkpoint folder that would make loading allocate without bound, or compute NaN, is refused
// while it is read, with one line naming what is wrong.
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CheckpointError, readCheckpoint, useWeightDtype } from "../../lib/checkpoint.ts";
import * as F from "../../lib/functional.ts";
import { useKernels } from "../../lib/kernels/index.ts";
import { parseSafetensors, writeSafetensors } from "../../lib/safetensors.ts";
import type { Tensor } from "../../lib/tensor.ts";
import { tempDir } from "../temp-dir.ts";
import { root, runTool } from "../tools/run-tool.ts";

const tiny = path.join(root, "tests", "fixtures", "tiny-gpt2");

/** A copy of the tiny checkpoint, with its config.json and tensors passed through `change`. */
function copy(changeConfig: (c: Record<string, unknown>) => void, changeTensors = (_: Record<string, Tensor>) => {}) {
  const dir = tempDir("checkpoint");
  const config = JSON.parse(readFileSync(path.join(tiny, "config.json"), "utf8"));
  changeConfig(config);
  writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
  const { tensors } = parseSafetensors(readFileSync(path.join(tiny, "model.safetensors")));
  const floats = tensors as Record<string, Tensor>;
  changeTensors(floats);
  writeSafetensors(path.join(dir, "model.safetensors"), floats);
  return dir;
}

describe("readCheckpoint", () => {
  it("refuses a config.json that describes a far larger model than the weights hold, before anything is built", () => {
    const dir = copy((c) => (c.n_layer = 1_000_000));
    expect(() => readCheckpoint(dir)).toThrow(CheckpointError);
    expect(() => readCheckpoint(dir)).toThrow(
      /describes a model of .* parameters \(n_layer 1000000.*the config does not belong to these weights/,
    );
  });

  it("refuses a model.safetensors that is not a file (a pipe would block the read forever)", () => {
    const dir = copy(() => {});
    rmSync(path.join(dir, "model.safetensors"));
    execFileSync("mkfifo", [path.join(dir, "model.safetensors")]);
    expect(() => readCheckpoint(dir)).toThrow(/model\.safetensors is not a regular file/);
  });

  it("leaves a near miss (a layer too many) to the loader, which names the missing keys", () => {
    expect(() => readCheckpoint(copy((c) => (c.n_layer = 3)))).not.toThrow();
  });

  it("npm run main and serve refuse weights that hold NaN or ∞, naming the tensor, in one line", async () => {
    const dir = copy(
      () => {},
      (t) => {
        t["h.1.mlp.c_fc.weight"].data[5] = Number.NaN;
      },
    );
    const main = await runTool("generate", ["--chain=reference", "--model", dir, "hello"]);
    expect(main.code).toBe(1);
    expect(main.stderr).toMatch(/transformer\.h\.1\.mlp\.c_fc\.weight holds NaN .*the weights are damaged/);
    expect(main.stderr).not.toMatch(/\n\s+at /);
    const inf = copy(
      () => {},
      (t) => {
        t["wte.weight"].data[0] = Number.POSITIVE_INFINITY;
      },
    );
    const serve = await runTool("serve", ["--model", inf, "--port", "0"]);
    expect(serve.code).not.toBe(0);
    expect(serve.out).toMatch(/transformer\.wte\.weight holds Infinity/);
    expect(serve.out).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("the tiny checkpoint itself loads", () => {
    const dir = tempDir("checkpoint");
    for (const f of ["config.json", "model.safetensors"]) copyFileSync(path.join(tiny, f), path.join(dir, f));
    expect(Object.keys(readCheckpoint(dir).weights.tensors).length).toBeGreaterThan(10);
  });
});

describe("Conv1D weights held column by column", () => {
  for (const dtype of ["f32", "bf16"] as const)
    it(`read as the file's [in, out] numbers, and step 15's transpose is [out, in] rows (${dtype})`, () => {
      useWeightDtype(dtype);
      try {
        const file = parseSafetensors(readFileSync(path.join(tiny, "model.safetensors"))).tensors as Record<
          string,
          Tensor
        >;
        const held = readCheckpoint(tiny).weights.tensors as Record<string, Tensor>;
        const name = "h.0.mlp.c_fc.weight";
        const [R, C] = file[name].shape;
        expect(held[name].shape).toEqual([R, C]);
        expect(held[name].stride, "a transposed view of C rows of R").toEqual([1, R]);
        const rounding = dtype === "bf16" ? 2 ** -8 : 0;
        for (let r = 0; r < R; r++)
          for (let c = 0; c < C; c++) {
            const want = file[name].get(r, c);
            expect(Math.abs(held[name].get(r, c) - want), `[${r}, ${c}]`).toBeLessThanOrEqual(
              rounding * Math.abs(want),
            );
          }
        expect(F.transpose(held[name], 0, 1).stride, "[out, in] rows, contiguous").toEqual([R, 1]);
        expect(held["h.0.ln_1.weight"].stride, "vectors as they are").toEqual([1]);
        expect(held["wte.weight"].stride, "the token table as it is").toEqual([held["wte.weight"].shape[1], 1]);
      } finally {
        useWeightDtype("auto");
      }
    });
});

describe("useKernels", () => {
  it("refuses more threads than the machine has cores (1000 would start 1000)", () => {
    expect(() => useKernels("wasm", 1000)).toThrow(
      /threads must be a whole number from 1 to \d+ \(this machine's cores\), got 1000/,
    );
  });
});
