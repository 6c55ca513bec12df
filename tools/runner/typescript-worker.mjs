// A worker thread's entry that runs a TypeScript module (workerData.entry, a file URL). Workers
// inherit `node --import tsx`, but on Node 20 tsx only hooks TypeScript into the main thread, so
// this plain JavaScript file asks tsx to import the module. tsImport scopes its hooks to that
// module and what it imports (node --conditions=mine still decides "#chain/…"), and works the
// same where tsx is already hooked into the thread.
import { workerData } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

await tsImport(workerData.entry, import.meta.url);
