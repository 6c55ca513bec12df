// Step 05 for the steps that build on it: the reference solution by default,
// or your own steps/step_05.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_05.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_05.ts") : reference;
export const { TokenEmbedding } = chosen;
export type TokenEmbedding = InstanceType<typeof TokenEmbedding>;
