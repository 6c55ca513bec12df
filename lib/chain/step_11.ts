// Step 11 for the steps that build on it: the reference solution by default,
// or your own steps/step_11.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_11.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_11.ts") : reference;
export const { GPT2Block } = chosen;
export type GPT2Block = InstanceType<typeof GPT2Block>;
