// `npm run sync [-- --check]`: writes what other files repeat from tools/curriculum.ts — the
// sNN scripts in package.json, book/src/SUMMARY.md, the steps tables in book/src/introduction.md
// and README.md, and pixi's tasks for the course's commands — and each chapter's "Common mistakes"
// rows for the mistakes its fixture records, from tests/fixtures/manifest.json (the fixture
// generator's names and descriptions). With --check it changes nothing and exits 1 naming what is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PARTS, STEPS, stepPaths, type StepInfo } from "../curriculum.ts";
import { parseCommand } from "../cli/options.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const TABLE_START = "<!-- the steps: written by npm run sync from tools/curriculum.ts -->";
const TABLE_END = "<!-- end of the steps -->";
const TASKS_START = "# the course's commands: written by npm run sync from package.json and tools/curriculum.ts";
const TASKS_END = "# end of the course's commands";
/** npm scripts a learner runs; pixi gets a task of the same name for each (the sNN ones too). */
const COURSE_COMMANDS = ["book", "watch", "progress", "hint", "reset", "main", "gpt2", "download", "train", "serve"];

/** package.json with one `sNN` script per step, right after "check", and no stale ones. */
function packageJson(text: string): string {
  const pkg = JSON.parse(text) as { scripts: Record<string, string> };
  const scripts: Record<string, string> = {};
  for (const [name, command] of Object.entries(pkg.scripts)) {
    if (/^s\d\d$/.test(name)) continue;
    scripts[name] = command;
    if (name === "check") for (const step of STEPS) scripts[`s${step.nn}`] = `tsx tools/commands/check.ts ${step.nn}`;
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

/** `text` with what lies between the `start` and `end` marker lines replaced by `body`. */
function between(file: string, text: string, start: string, end: string, body: string): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file}: the markers ${start} … ${end} are missing`);
  return `${text.slice(0, from)}${start}\n${body}\n${text.slice(to)}`;
}

/** The introduction with its steps table rewritten between the two markers. */
function introduction(text: string): string {
  const rows = STEPS.map((s) => `| ${s.nn} | ${s.title} | ${s.builds} | ${s.checkedAgainst} |`);
  const table = ["| # | Chapter | You build | Checked against |", "|---|---|---|---|", ...rows].join("\n");
  return between("book/src/introduction.md", text, TABLE_START, TABLE_END, table);
}

/** The README's table of steps, by part, linking each chapter. */
function readme(text: string): string {
  const rows = PARTS.flatMap((part) =>
    part.chapters
      .filter((c): c is StepInfo => "nn" in c)
      .map((s) => `| ${s.nn} | [${s.title}](${stepPaths(s.nn).chapter}) | ${part.title} | \`npm run s${s.nn}\` |`),
  );
  const table = ["| step | chapter | part | check |", "|---|---|---|---|", ...rows].join("\n");
  return between("README.md", text, TABLE_START, TABLE_END, table);
}

/**
 * pixi.toml with a task per course command and per step, each running its npm script; the
 * trailing `--` hands what follows `pixi run NAME` to the script (`pixi run s08 --chain=mine`).
 */
function pixiTasks(text: string): string {
  const { scripts } = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { scripts: Record<string, string> };
  const missing = COURSE_COMMANDS.filter((name) => !(name in scripts));
  if (missing.length) throw new Error(`tools/commands/sync.ts: no npm script ${missing.join(", ")} in package.json`);
  const names = [...STEPS.map((s) => `s${s.nn}`), ...COURSE_COMMANDS];
  const tasks = names.map((n) => `${n} = "npm run ${n} --"`).join("\n");
  return between("pixi.toml", text, TASKS_START, TASKS_END, tasks);
}

const MISTAKES_HEADER = "| mistake | what it does |\n|---|---|\n";

/**
 * A chapter whose Common-mistakes table has one row per mistake its fixture records, named and
 * described as the fixture generator records them, followed by the rows the chapter adds by hand
 * (mistakes that a check, not a fixture, names).
 */
function mistakeTable(nn: string, file: string, text: string): string {
  const manifest = JSON.parse(readFileSync(`${root}tests/fixtures/manifest.json`, "utf8")) as {
    steps: Record<string, { mistakes: { name: string; description: string }[] }>;
  };
  const recorded = new Map((manifest.steps[`step_${nn}`]?.mistakes ?? []).map((m) => [m.name, m.description]));
  if (recorded.size === 0) return text;
  const section = text.indexOf("\n## Common mistakes\n");
  const at = text.indexOf(MISTAKES_HEADER, section);
  if (section < 0 || at < 0)
    throw new Error(`${file}: no "## Common mistakes" table headed ${JSON.stringify(MISTAKES_HEADER)}`);
  const start = at + MISTAKES_HEADER.length;
  const end = text.indexOf("\n\n", start) < 0 ? text.length : text.indexOf("\n\n", start);
  const byHand = text
    .slice(start, end)
    .split("\n")
    .filter((row) => !recorded.has(row.split(" | ")[0].replace(/^\|\s*/, "")));
  const rows = [...recorded].map(([name, description]) => `| ${name} | ${description.replaceAll("|", "\\|")} |`);
  return `${text.slice(0, start)}${[...rows, ...byHand].join("\n")}${text.slice(end)}`;
}

const FILES: Record<string, (current: string) => string> = {
  "package.json": packageJson,
  "book/src/SUMMARY.md": summary,
  "book/src/introduction.md": introduction,
  "README.md": readme,
  "pixi.toml": pixiTasks,
  ...Object.fromEntries(
    STEPS.map((step) => {
      const file = stepPaths(step.nn).chapter;
      return [file, (text: string) => mistakeTable(step.nn, file, text)];
    }),
  ),
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
  const { values } = parseCommand({
    usage: "npm run sync [-- --check]",
    options: { check: { type: "boolean", help: "change nothing; exit 1 naming what is stale" } },
  });
  const stale = staleFiles();
  if (values.check) {
    for (const { file } of stale)
      console.error(`${file} does not match tools/curriculum.ts or the fixtures' manifest: run npm run sync`);
    process.exit(stale.length ? 1 : 0);
  }
  for (const { file, expected } of stale) writeFileSync(root + file, expected);
  console.log(
    stale.length
      ? `wrote ${stale.map((s) => s.file).join(", ")}`
      : "everything already matches tools/curriculum.ts and the fixtures' manifest",
  );
}
