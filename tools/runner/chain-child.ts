// Runs one step's checks for a parent process on the other chain (see chain.ts and checks.ts):
// `node --conditions=mine chain-child.ts NN steps`. Sends the parent each reporter event, then the outcome.
import { findStep } from "../curriculum.ts";
import type { ChildMessage } from "./checks.ts";
import { runChecks } from "./inprocess.ts";

const send = (message: ChildMessage) => process.send!(message);
const [nn, target] = process.argv.slice(2);
const run = await runChecks(findStep(nn)!, target === "solutions" ? "solutions" : "steps", {
  begin: () => send({ event: "begin" }),
  check: (...args) => send({ event: "check", args }),
  loadError: ({ name, message }) => send({ event: "loadError", args: [{ name, message }] }),
  end: ({ passed, failed }) => send({ event: "end", tally: { passed, failed } }),
});
process.send!({ run } satisfies ChildMessage, () => process.exit(0)); // the kernels' threads would keep it alive
