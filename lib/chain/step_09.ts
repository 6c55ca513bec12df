// Step 09 for the steps that build on it: the reference solution by default,
// or your own steps/step_09.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_09.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_09.ts") : reference;
export const { GPT2Attention, mergeHeads, splitHeads } = chosen;
export type GPT2Attention = InstanceType<typeof GPT2Attention>;
