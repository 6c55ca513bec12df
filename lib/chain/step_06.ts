// Step 06 for the steps that build on it: the reference solution by default,
// or your own steps/step_06.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_06.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_06.ts") : reference;
export const { PositionEmbedding } = chosen;
export type PositionEmbedding = InstanceType<typeof PositionEmbedding>;
