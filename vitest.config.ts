// Four projects over the same test files:
//   framework  tests of lib/ (tests/lib), tools/ (tests/tools) and the course itself: the checker,
//              the harness, the chapters' mistakes (tests/course)
//   solutions  every step's checks against solutions/ (must all pass)
//   skeletons  every step's checks against the untouched steps/, inverted: each check must fail
//              with "not implemented" (proves no check is toothless)
//   steps      every step's checks against steps/ — what a learner runs (not part of npm test)
import { defineConfig } from "vitest/config";

const stepTests = ["tests/step_*.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    reporters: ["default", "./tools/runner/reporters.ts"],
    projects: [
      { extends: true, test: { name: "framework", include: ["tests/{lib,tools,course}/**/*.test.ts"] } },
      { extends: true, test: { name: "solutions", include: stepTests, env: { GPT2_TARGET: "solutions" } } },
      {
        extends: true,
        test: { name: "skeletons", include: stepTests, env: { GPT2_TARGET: "steps", GPT2_AUDIT: "skeleton" } },
      },
      { extends: true, test: { name: "steps", include: stepTests, env: { GPT2_TARGET: "steps" } } },
    ],
  },
});
