// Step 08 for the steps that build on it: the reference solution by default,
// or your own steps/step_08.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_08.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_08.ts") : reference;
export const { attention } = chosen;
