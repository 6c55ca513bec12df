// `npm run reset -- NN [--yes]`: puts back the untouched skeleton of steps/step_NN.ts, after
// asking, and keeps your version in .backups/. The skeleton comes from git: the upstream
// branch you cloned (upstream/main, else origin/main), or any ref given with --from REF.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { STEPS, findStep, stepPaths } from "../curriculum.ts";
import { UsageError, parseCommand } from "../cli/options.ts";

const { values, step } = parseCommand(
  {
    usage: "npm run reset -- NN [options]",
    positionals: true,
    options: {
      yes: { type: "boolean", help: "do not ask first" },
      from: { type: "string", value: "GIT_REF", help: "take the skeleton from this git ref" },
    },
    notes: `NN is one of ${STEPS.map((s) => s.nn).join(", ")}; your version is kept in .backups/`,
  },
  process.argv.slice(2),
  ({ values, positionals }) => {
    const step = findStep(positionals[0]);
    if (!step || positionals.length > 1)
      throw new UsageError(`which step? got ${JSON.stringify(positionals.join(" "))}`);
    return { values, step };
  },
);
const file = stepPaths(step.nn).step;

/** The skeleton as the ref has it, if that version is still a skeleton. */
function skeletonAt(ref: string): string | null {
  try {
    const text = execFileSync("git", ["show", `${ref}:${file}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return new RegExp(`notImplemented\\(\\s*"${step!.nn}"`).test(text) ? text : null;
  } catch {
    return null;
  }
}

const refs = values.from ? [values.from] : ["upstream/main", "origin/main"];
const found = refs.map((ref) => ({ ref, text: skeletonAt(ref) })).find((r) => r.text !== null);
if (!found) {
  console.error(
    `could not find the skeleton of ${file} in git (tried ${refs.join(", ")}). Pass the upstream ref with --from, e.g. npm run reset -- ${step.nn} --from origin/main`,
  );
  process.exit(1);
}
if (existsSync(file) && readFileSync(file, "utf8") === found.text) {
  console.log(`${file} is already the untouched skeleton.`);
  process.exit(0);
}
if (!values.yes) {
  if (!process.stdin.isTTY) {
    console.error(`this replaces your ${file}; run it in a terminal to confirm, or add --yes`);
    process.exit(1);
  }
  const answer = await createInterface({ input: process.stdin, output: process.stdout }).question(
    `Replace your ${file} with the skeleton from ${found.ref}? A copy goes to .backups/. [y/N] `,
  );
  if (!/^y(es)?$/i.test(answer.trim())) {
    console.log("nothing changed");
    process.exit(0);
  }
}
mkdirSync(".backups", { recursive: true });
const backup = `.backups/step_${step.nn}.${new Date().toISOString().replace(/[:.]/g, "-")}.ts`;
if (existsSync(file)) copyFileSync(file, backup);
writeFileSync(file, found.text!);
console.log(`${file} is the skeleton again (from ${found.ref}); your version is in ${backup}`);
process.exit(0);
