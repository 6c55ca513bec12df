// `npm run download -- gpt2` (or gpt2-medium, gpt2-large, gpt2-xl): fetches config.json and
// model.safetensors from the Hugging Face hub into models/<name>/, with a progress bar,
// resume after an interruption, and SHA-256 verification before the file gets its final name.
import path from "node:path";
import { HubError, downloadFile, type Progress } from "../hub/download.ts";
import { HUB_MODELS, MODELS_DIR } from "../hub/models.ts";
import { UsageError, parseCommand } from "../cli/options.ts";
import { StatusLine, bar } from "../cli/progress.ts";

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function formatProgress(p: Progress): string {
  const seconds = Math.max((Date.now() - p.startedAt) / 1000, 1e-3);
  const rate = (p.received - p.resumedFrom) / seconds;
  const total = p.total ? ` / ${mb(p.total)}` : "";
  const eta = p.total && rate > 0 ? `  ETA ${Math.ceil((p.total - p.received) / rate)} s` : "";
  const done = p.total ? `[${bar(p.received / p.total, 20)}] ` : "";
  return `${p.file}  ${done}${mb(p.received)}${total}  ${mb(rate)}/s${eta}`;
}

async function main(argv: string[]): Promise<number> {
  const { values, name } = parseCommand(
    {
      usage: "npm run download -- NAME [options]",
      positionals: true,
      options: { dir: { type: "string", default: MODELS_DIR, value: "FOLDER", help: "files go to FOLDER/NAME" } },
      notes: `NAME is one of ${Object.keys(HUB_MODELS).join(", ")}`,
    },
    argv,
    ({ values, positionals }) => {
      if (positionals.length !== 1)
        throw new UsageError(`give one model name, got ${JSON.stringify(positionals.join(" "))}`);
      // Own names only: "toString" or "__proto__" are properties of every object, not models.
      if (!Object.hasOwn(HUB_MODELS, positionals[0])) throw new UsageError(`unknown model "${positionals[0]}"`);
      return { values, name: positionals[0] };
    },
  );
  const folder = path.join(values.dir, name);
  const status = new StatusLine(process.stderr);
  for (const file of ["config.json", "model.safetensors"]) {
    const result = await downloadFile({
      repo: HUB_MODELS[name],
      file,
      dest: path.join(folder, file),
      onProgress: (p) => status.update(formatProgress(p), p.received === p.total),
    });
    status.keep();
    const how = result.alreadyPresent ? "already present" : result.resumed ? "resumed and completed" : "downloaded";
    console.log(
      `${file}: ${how}, ${mb(result.bytes)}${result.sha256 ? `, SHA-256 verified (${result.sha256.slice(0, 12)}…)` : ""}`,
    );
  }
  console.log(
    `\n${name} is in ${folder}. Try:\n  npm run gpt2 -- "The meaning of life is"    (your model)\n  npm run main -- "The meaning of life is"    (the reference)`,
  );
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof HubError ? `download failed: ${error.message}` : error);
  process.exitCode = 1;
}
