// `npm run sNN [-- --solution] [-- --chain=mine]`: runs step NN's checks, one line per check.
// --solution checks solutions/solution_NN.ts; --chain=mine takes the earlier steps NN builds on
// from your steps/ instead of solutions/. Exit code 0 only when every check passes.
import { STEPS, findStep } from "./curriculum.ts";
import { checkStep } from "./runner/checks.ts";

const args = process.argv.slice(2);
const step = findStep(args.find((a) => !a.startsWith("--")));
const unknown = args.filter((a) => a.startsWith("--") && a !== "--solution" && a !== "--chain=mine" && a !== "--chain=reference");
if (!step || unknown.length) {
  console.error(`${unknown.length ? `unknown option ${unknown[0]}\n` : ""}usage: npm run check -- NN [--solution] [--chain=mine]   (NN is one of ${STEPS.map((s) => s.nn).join(", ")})`);
  process.exit(2);
}
const { failed } = await checkStep(step, { solution: args.includes("--solution"), chain: args.includes("--chain=mine") ? "mine" : "reference" });
process.exit(failed > 0 ? 1 : 0);
