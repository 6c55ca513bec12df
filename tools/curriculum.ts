// The course's one list of steps, grouped into the book's parts. The checker, progress, watch,
// hints and reset read it; `npm run sync` writes what other files repeat from it (the sNN scripts
// in package.json, book/src/SUMMARY.md, the table in book/src/introduction.md), and a test checks
// that they are up to date.
export interface StepInfo {
  nn: string;
  title: string;
  /** What the learner writes, for the introduction's table (Markdown). */
  builds: string;
  /** What the checks compare it with (Markdown). */
  checkedAgainst: string;
}

/** A chapter without a step file, e.g. a chapter that explains measurements. */
export interface PageInfo {
  page: string;
  title: string;
}

export interface Part {
  title: string;
  chapters: readonly (StepInfo | PageInfo)[];
}

export const PARTS: readonly Part[] = [
  {
    title: "Foundations",
    chapters: [
      {
        nn: "01",
        title: "Model configuration",
        builds: "`GPT2Config` with Hugging Face's defaults, read from `config.json`",
        checkedAgainst: "the four published GPT-2 configs",
      },
      {
        nn: "02",
        title: "Causal masking",
        builds: "`causalMask(T, past)`: 0 on and below the diagonal, −∞ above",
        checkedAgainst: "PyTorch masks, with and without a cache",
      },
      { nn: "03", title: "Layer normalization", builds: "`LayerNorm`", checkedAgainst: "PyTorch `nn.LayerNorm`" },
      {
        nn: "04",
        title: "Feed-forward network",
        builds: "`gelu`, `GPT2MLP`",
        checkedAgainst: 'PyTorch `F.gelu(approximate="tanh")` and linear layers',
      },
    ],
  },
  {
    title: "Embeddings",
    chapters: [
      {
        nn: "05",
        title: "Token embeddings",
        builds: "`TokenEmbedding` (`wte`)",
        checkedAgainst: "PyTorch `F.embedding`",
      },
      {
        nn: "06",
        title: "Position embeddings",
        builds: "`PositionEmbedding` (`wpe`)",
        checkedAgainst: "PyTorch, with and without a cache",
      },
    ],
  },
  {
    title: "Attention",
    chapters: [
      {
        nn: "07",
        title: "Q/K/V projections",
        builds: "`c_attn` and `splitQKV`",
        checkedAgainst: "PyTorch `qkv.split(n_embd)`",
      },
      {
        nn: "08",
        title: "Attention",
        builds: "causal scaled dot-product `attention`",
        checkedAgainst: "PyTorch softmax attention, with and without a cache",
      },
      {
        nn: "09",
        title: "Multi-head attention",
        builds: "`splitHeads`, `mergeHeads`, `GPT2Attention`",
        checkedAgainst: "PyTorch, cross-checked with `nn.MultiheadAttention`",
      },
    ],
  },
  {
    title: "Composition",
    chapters: [
      {
        nn: "10",
        title: "Residual connections and layer norm",
        builds: "`preNormResidual`: x + f(ln(x))",
        checkedAgainst: "PyTorch",
      },
      { nn: "11", title: "Transformer block", builds: "`GPT2Block` (7,087,872 parameters)", checkedAgainst: "PyTorch" },
      {
        nn: "12",
        title: "Stacking blocks",
        builds: "`GPT2Model` (124,439,808 parameters)",
        checkedAgainst: "PyTorch hidden states after every block",
      },
    ],
  },
  {
    title: "Complete model",
    chapters: [
      {
        nn: "13",
        title: "Language model head",
        builds: "`GPT2LMHeadModel` with a tied `lm_head`",
        checkedAgainst: "PyTorch logits",
      },
      {
        nn: "14",
        title: "Text generation",
        builds: "greedy and temperature sampling, `generate`",
        checkedAgainst: "PyTorch greedy continuations",
      },
    ],
  },
  {
    title: "Pretrained GPT-2",
    chapters: [
      {
        nn: "15",
        title: "Loading pretrained weights",
        builds: "`convertHFStateDict`, `loadPretrained`",
        checkedAgainst: "tiny checkpoints in Hugging Face layout, PyTorch logits",
      },
    ],
  },
  {
    title: "Fast enough to be fun",
    chapters: [
      {
        nn: "16",
        title: "The KV cache",
        builds: "`forwardWithCache`, `generateWithCache`",
        checkedAgainst: "PyTorch's `past_key_values` and logits, fed in chunks; greedy decoding past the context",
      },
      { page: "performance.md", title: "Where the time goes" },
      { page: "inside.md", title: "Looking inside" },
    ],
  },
  {
    title: "Train your own GPT-2",
    chapters: [
      {
        nn: "17",
        title: "Cross-entropy loss",
        builds: "`nextTokenTargets`, `crossEntropy` and its gradient",
        checkedAgainst: "PyTorch `F.cross_entropy` and `torch.autograd`, on the tiny model and on ±1000 logits",
      },
      {
        nn: "18",
        title: "Backward through a layer",
        builds: "`linearBackward`, `geluBackward`, `layerNormBackward`",
        checkedAgainst: "`torch.autograd` on a 16 → 24 linear layer, GELU on [−6, 6] and a layer norm",
      },
      {
        nn: "19",
        title: "Backward through attention",
        builds: "`softmaxBackward`, `attentionBackward`",
        checkedAgainst: "`torch.autograd` through causal attention with a head axis, with and without a cache",
      },
      {
        nn: "20",
        title: "Backward through the whole model",
        builds: "`forwardForTraining`, `backward`: every parameter's gradient",
        checkedAgainst: "`torch.autograd` of the tiny model's loss: all 29 gradients, the tied table's included",
      },
      {
        nn: "21",
        title: "The optimizer",
        builds: "`AdamW`, `clipGradNorm`, `learningRate`",
        checkedAgainst:
          "`torch.optim.AdamW` over three steps and at a scheduled rate, `clip_grad_norm_`, nanoGPT's warmup-and-cosine schedule",
      },
      {
        nn: "22",
        title: "The training loop",
        builds: "`randomBatch`, `trainStep`, `evaluate`, `saveCheckpoint`",
        checkedAgainst:
          "a PyTorch training step, ten steps along a schedule, and evaluation; checkpoints in Hugging Face's layout that step 15 loads back",
      },
      { page: "one-page.md", title: "GPT-2 on one page" },
    ],
  },
  {
    title: "The tokenizer",
    chapters: [
      {
        nn: "23",
        title: "GPT-2's tokenizer",
        builds: "`bytesToUnicode`, `preTokenize`, `Tokenizer`: byte-level BPE `encode` and `decode`",
        checkedAgainst:
          "OpenAI's encoder.py (in Python) on hostile strings and 64 KB words; gpt-tokenizer on Moby-Dick and 233 State of the Union addresses",
      },
      {
        nn: "24",
        title: "Training a tokenizer",
        builds: "`wordCounts`, `trainBPE`: merges and a vocabulary in GPT-2's format",
        checkedAgainst: "a plain Python BPE trainer, merge for merge; round trips through step 23's `Tokenizer`",
      },
    ],
  },
];

export const STEPS: readonly StepInfo[] = PARTS.flatMap((part) =>
  part.chapters.filter((c): c is StepInfo => "nn" in c),
);

/** Where step `nn`'s files live, relative to the course's root: the one place these paths are spelled. */
export function stepPaths(nn: string) {
  return {
    /** What the learner fills in. */
    step: `steps/step_${nn}.ts`,
    hints: `steps/step_${nn}.hints.md`,
    solution: `solutions/solution_${nn}.ts`,
    chapter: `book/src/step_${nn}.md`,
    checks: `tests/step_${nn}.test.ts`,
  };
}

export function findStep(arg: string | undefined): StepInfo | undefined {
  if (!arg) return undefined;
  const nn = arg.replace(/^s(tep)?_?/i, "").padStart(2, "0");
  return STEPS.find((s) => s.nn === nn);
}
