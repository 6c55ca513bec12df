// Step 14 for the tools that build on it: the reference solution by default,
// or your own steps/step_14.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_14.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_14.ts") : reference;
export const { generate, nextTokenLogits, sampleNextToken, END_OF_TEXT } = chosen;
export type { GenerateOptions } from "../../solutions/solution_14.ts";
