// Step 02 for the steps that build on it: the reference solution by default,
// or your own steps/step_02.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_02.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_02.ts") : reference;
export const { causalMask } = chosen;
