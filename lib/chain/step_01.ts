// Step 01 for the steps that build on it: the reference solution by default,
// or your own steps/step_01.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_01.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_01.ts") : reference;
export const { GPT2Config } = chosen;
export type GPT2Config = InstanceType<typeof GPT2Config>;
