// `npm run progress [-- --recheck]`: a table of every step — passed, failing, or not started
// (still the untouched skeleton) — with a progress bar, and whether your whole chain passes.
// Steps whose file changed since they were last checked are checked again; --recheck checks all.
import { parseCommand } from "../cli/options.ts";
import { progressTable, refresh } from "../runner/state.ts";

const { values } = parseCommand({
  usage: "npm run progress [-- --recheck]",
  options: { recheck: { type: "boolean", help: "check every step again, changed or not" } },
});
console.log(progressTable(await refresh(values.recheck)));
