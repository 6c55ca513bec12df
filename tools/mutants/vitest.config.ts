// The one-project vitest configuration StrykerJS runs (it does not understand vitest's
// projects): one step's checks against solutions/, the step chosen by GPT2_MUTANT_STEP.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { stepPaths } from "../curriculum.ts";

const step = process.env.GPT2_MUTANT_STEP ?? "01";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)), // not this folder: the paths below are the project's
  test: {
    include: [stepPaths(step).checks],
    env: { GPT2_TARGET: "solutions" },
    testTimeout: 60_000,
  },
});
