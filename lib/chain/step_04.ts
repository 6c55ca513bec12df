// Step 04 for the steps that build on it: the reference solution by default,
// or your own steps/step_04.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_04.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_04.ts") : reference;
export const { GPT2MLP, gelu } = chosen;
export type GPT2MLP = InstanceType<typeof GPT2MLP>;
