// Step 13 for the steps that build on it: the reference solution by default,
// or your own steps/step_13.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_13.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_13.ts") : reference;
export const { GPT2LMHeadModel } = chosen;
export type GPT2LMHeadModel = InstanceType<typeof GPT2LMHeadModel>;
