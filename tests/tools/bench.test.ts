// npm run bench's peer comparisons: a ratio to PyTorch run on the reference BLAS is not a ratio
// to PyTorch, so the bench says so (scripts/blas.py reports what the peer's process loaded).
import { describe, expect, it } from "vitest";
import { blasWarning } from "../../tools/bench/train.ts";

describe("blasWarning", () => {
  it("warns when the peer ran on Debian's reference BLAS, naming the library and the fix", () => {
    const warning = blasWarning("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0");
    expect(warning).toMatch(/reference BLAS \(\/usr\/lib\/x86_64-linux-gnu\/blas\/libblas\.so\.3\.11\.0\)/);
    expect(warning).toMatch(/apt-get install libopenblas0-openmp/);
  });

  it("warns when no BLAS was loaded at all", () => {
    expect(blasWarning("")).toMatch(/reference BLAS \(none loaded\)/);
  });

  it("says nothing for OpenBLAS", () => {
    expect(blasWarning("/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3")).toBe("");
  });
});
