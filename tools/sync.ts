// `npm run sync [-- --check]`: writes what other files repeat from tools/curriculum.ts — the
// sNN scripts in package.json, book/src/SUMMARY.md and the steps table in
// book/src/introduction.md. With --check it changes nothing and exits 1 naming what is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PARTS, STEPS } from "./curriculum.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const TABLE_START = "<!-- the steps: written by npm run sync from tools/curriculum.ts -->";
const TABLE_END = "<!-- end of the steps -->";

/** package.json with one `sNN` script per step, right after "check", and no stale ones. */
function packageJson(text: string): string {
  const pkg = JSON.parse(text) as { scripts: Record<string, string> };
  const scripts: Record<string, string> = {};
  for (const [name, command] of Object.entries(pkg.scripts)) {
    if (/^s\d\d$/.test(name)) continue;
    scripts[name] = command;
    if (name === "check") for (const step of STEPS) scripts[`s${step.nn}`] = `tsx tools/check.ts ${step.nn}`;
  }
  return `${JSON.stringify({ ...pkg, scripts }, null, 2)}\n`;
}

/** The book's table of contents: the two opening pages, then each part's chapters. */
function summary(): string {
  const parts = PARTS.map((part) => {
    const links = part.chapters.map((c) => `- [${c.title}](${"nn" in c ? `step_${c.nn}.md` : c.page})`);
    return `# ${part.title}\n\n${links.join("\n")}\n`;
  });
  return `# Summary\n\n[Introduction](introduction.md)\n[Setup](setup.md)\n\n${parts.join("\n")}`;
}

/** The introduction with its steps table rewritten between the two markers. */
function introduction(text: string): string {
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start)
    throw new Error(`book/src/introduction.md: the markers ${TABLE_START} … ${TABLE_END} are missing`);
  const rows = STEPS.map((s) => `| ${s.nn} | ${s.title} | ${s.builds} | ${s.checkedAgainst} |`);
  const table = ["| # | Chapter | You build | Checked against |", "|---|---|---|---|", ...rows].join("\n");
  return `${text.slice(0, start)}${TABLE_START}\n${table}\n${text.slice(end)}`;
}

const FILES: Record<string, (current: string) => string> = {
  "package.json": packageJson,
  "book/src/SUMMARY.md": summary,
  "book/src/introduction.md": introduction,
};

/** The files whose text differs from what the curriculum says, with the text they should have. */
export function staleFiles(): { file: string; expected: string }[] {
  return Object.entries(FILES).flatMap(([file, write]) => {
    const current = readFileSync(root + file, "utf8");
    const expected = write(current);
    return expected === current ? [] : [{ file, expected }];
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stale = staleFiles();
  if (process.argv.includes("--check")) {
    for (const { file } of stale) console.error(`${file} does not match tools/curriculum.ts: run npm run sync`);
    process.exit(stale.length ? 1 : 0);
  }
  for (const { file, expected } of stale) writeFileSync(root + file, expected);
  console.log(
    stale.length ? `wrote ${stale.map((s) => s.file).join(", ")}` : "everything already matches tools/curriculum.ts",
  );
}
