// Step 07 for the steps that build on it: the reference solution by default,
// or your own steps/step_07.ts when GPT2_CHAIN=mine ("your GPT-2, entirely your code").
import * as reference from "../../solutions/solution_07.ts";

const chosen: typeof reference = process.env.GPT2_CHAIN === "mine" ? await import("../../steps/step_07.ts") : reference;
export const { QKVProjection, splitQKV } = chosen;
export type QKVProjection = InstanceType<typeof QKVProjection>;
