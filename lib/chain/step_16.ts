// Step 16 for the tools that build on it: the reference solution by default,
// or your own steps/step_16.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_16.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_16.ts") : reference;
export const { attendWithCache, blockWithCache, forwardWithCache, generateWithCache } = chosen;
export type { KVCache, LayerCache } from "../../solutions/solution_16.ts";
