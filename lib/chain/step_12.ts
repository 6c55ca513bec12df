// Step 12 for the steps that build on it: the reference solution by default,
// or your own steps/step_12.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_12.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_12.ts") : reference;
export const { GPT2Model } = chosen;
export type GPT2Model = InstanceType<typeof GPT2Model>;
