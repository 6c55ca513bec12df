// Step 03 for the steps that build on it: the reference solution by default,
// or your own steps/step_03.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_03.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_03.ts") : reference;
export const { LayerNorm } = chosen;
export type LayerNorm = InstanceType<typeof LayerNorm>;
