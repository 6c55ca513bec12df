// `npm run figures [-- --check]`: draws the book's figures (tools/figures/book.ts) from the small
// model the course ships (default-model/) into book/src/figures/. With --check it writes nothing and exits 1 when a committed
// figure differs from what the code draws now.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPretrained } from "#chain/step_15";
import { gpt2Tokenizer } from "#chain/step_23";
import { useKernels } from "../../lib/kernels/index.ts";
import { FIGURES, type FigureModel } from "../figures/book.ts";
import { parseCommand } from "../cli/options.ts";
import { SHIPPED_MODEL } from "../hub/models.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const FIGURES_DIR = path.join(root, "book", "src", "figures");

/** The best model on this machine for pictures: GPT-2 when downloaded, else the small model the course ships. */
export function figureModel(preferGpt2: boolean): FigureModel {
  const gpt2 = path.join(root, "models", "gpt2");
  if (preferGpt2 && existsSync(path.join(gpt2, "model.safetensors")))
    return { model: loadPretrained(gpt2), name: "GPT-2 124M (models/gpt2)", tokenizer: gpt2Tokenizer() };
  return {
    model: loadPretrained(SHIPPED_MODEL),
    name: "the course's small model (default-model/, trained on Moby-Dick and the State of the Union addresses)",
    tokenizer: gpt2Tokenizer(),
  };
}

/** Every figure as [file name, SVG text]. */
export function drawFigures(model: FigureModel): [string, string][] {
  return Object.entries(FIGURES).map(([file, draw]) => [file, draw(model)]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseCommand({
    usage: "npm run figures [-- --check]",
    options: { check: { type: "boolean", help: "write nothing; exit 1 when a committed figure is stale" } },
  });
  useKernels("js", 1); // one summation order everywhere, so the committed pictures reproduce on any machine
  const drawn = drawFigures(figureModel(false));
  const stale = drawn.filter(([file, svg]) => {
    const target = path.join(FIGURES_DIR, file);
    return !existsSync(target) || readFileSync(target, "utf8") !== svg;
  });
  if (values.check) {
    for (const [file] of stale)
      console.error(`book/src/figures/${file} is not what the code draws now: run npm run figures`);
    process.exit(stale.length ? 1 : 0);
  }
  mkdirSync(FIGURES_DIR, { recursive: true });
  for (const [file, svg] of stale) writeFileSync(path.join(FIGURES_DIR, file), svg);
  console.log(
    stale.length ? `wrote ${stale.map(([f]) => f).join(", ")} in book/src/figures/` : "every figure is current",
  );
}
