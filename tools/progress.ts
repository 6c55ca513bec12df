// `npm run progress [-- --recheck]`: a table of every step — passed, failing, or not started
// (still the untouched skeleton) — with a progress bar, and whether your whole chain passes.
// Steps whose file changed since they were last checked are checked again; --recheck checks all.
import { progressTable, refresh } from "./runner/state.ts";

console.log(progressTable(await refresh(process.argv.includes("--recheck"))));
