// The book's figures, each computed by the course's own code from a real model: the small model
// the course ships (default-model/) unless GPT-2 itself is downloaded
// (models/gpt2). The caption under each picture says which. `npm run figures` writes them to
// book/src/figures/ (from the shipped model, so they reproduce anywhere; a test checks they are
// current) and `npm run book:build` draws them again into the built book with the best model there is.
import * as Plot from "@observablehq/plot";
import { causalMask } from "#chain/step_02";
import { LayerNorm } from "#chain/step_03";
import { GPT2Config } from "#chain/step_01";
import { GPT2LMHeadModel } from "#chain/step_13";
import { nextTokenLogits } from "#chain/step_14";
import { crossEntropy } from "#chain/step_17";
import { learningRate } from "#chain/step_21";
import { withoutInit } from "../../lib/random.ts";
import { fromData, intTensor } from "../../lib/tensor.ts";
import type { TextTokenizer } from "../../lib/tokenizer.ts";
import { attentionMaps, residualSizes, topCandidates } from "./inspect.ts";
import { attentionSvg } from "./attention.ts";
import { figure, plotFigure, tokenLabel, type FigureOptions } from "./svg.ts";

/** The model a figure is computed from, and the words its caption uses for it. */
export interface FigureModel {
  model: GPT2LMHeadModel;
  name: string;
  /** The model's tokenizer: the prompt's ids, and the tokens' text on the axes. */
  tokenizer: TextTokenizer;
}

const PROMPT = "The quick brown fox jumps over the lazy dog because";

/** The prompt the pictures use, in the model's tokens. */
const promptIds = (fm: FigureModel) => fm.tokenizer.encode(PROMPT);

const labelsOf = (fm: FigureModel, ids: readonly number[]) => ids.map((id) => tokenLabel(fm.tokenizer.decode([id])));
const fmt = (n: number) => n.toLocaleString("en-US");

/** Embeddings → n_layer blocks → ln_f → head, with shapes and parameter counts, for GPT-2 124M's configuration. */
function modelDiagram(): string {
  const config = new GPT2Config();
  const model = withoutInit(() => new GPT2LMHeadModel(config));
  const t = model.transformer;
  const { n_embd, n_layer, vocab_size, n_positions } = config;
  const rows: [string, string, string][] = [
    ["token ids", "[B, T]", ""],
    ["wte: token embeddings", `[${vocab_size}, ${n_embd}] table → [B, T, ${n_embd}]`, fmt(t.wte.numParameters())],
    [
      "wpe: position embeddings",
      `[${n_positions}, ${n_embd}] table → [T, ${n_embd}], added`,
      fmt(t.wpe.numParameters()),
    ],
    [
      `h: ${n_layer} transformer blocks`,
      `[B, T, ${n_embd}] → [B, T, ${n_embd}], each ${fmt(t.h[0].numParameters())}`,
      fmt(n_layer * t.h[0].numParameters()),
    ],
    ["ln_f: final layer norm", `[B, T, ${n_embd}]`, fmt(t.ln_f.numParameters())],
    ["lm_head (tied to wte)", `[B, T, ${n_embd}] → [B, T, ${vocab_size}] logits`, "0 new"],
  ];
  const width = 640;
  const boxH = 44;
  const gap = 18;
  const height = rows.length * (boxH + gap) + 30;
  const parts = rows.map(([name, shape, params], i) => {
    const y = 10 + i * (boxH + gap);
    const fill = i === 0 ? "#f3f3f3" : i === 3 ? "#dbe9f6" : "#eef5fb";
    const arrow =
      i > 0 ? `<path d="M ${width / 2 - 60} ${y - gap} v ${gap - 2}" stroke="#555" marker-end="url(#a)"/>` : "";
    return `${arrow}<rect x="40" y="${y}" width="${width - 200}" height="${boxH}" rx="6" fill="${fill}" stroke="#4a7fb0"/>
<text x="56" y="${y + 18}" font-size="13" font-weight="600">${name}</text>
<text x="56" y="${y + 35}" font-size="11" fill="#333">${shape}</text>
<text x="${width - 20}" y="${y + 27}" font-size="12" text-anchor="end">${params}</text>`;
  });
  const total = `<text x="${width - 20}" y="${height - 8}" font-size="12" text-anchor="end" font-weight="600">${fmt(model.numParameters())} parameters</text>`;
  const inner = `<svg width="${width}" height="${height}"><defs><marker id="a" viewBox="0 0 10 10" refX="5" refY="8" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L5 10 L10 0 z" fill="#555"/></marker></defs>${parts.join("\n")}${total}</svg>`;
  return figure(inner, width, height, "GPT-2 124M's configuration; parameters counted by the course's own modules");
}

/** Step 02: which keys each query may see, with and without a cache. */
function maskFigure(): string {
  const cells = (T: number, past: number, panel: string) => {
    const mask = causalMask(T, past);
    return Array.from({ length: T }, (_, i) =>
      Array.from({ length: past + T }, (_, j) => ({ panel, i, j, visible: mask.get(i, j) === 0 })),
    ).flat();
  };
  const panels = ["causalMask(8): a prompt of 8 tokens", "causalMask(3, 5): 3 new tokens after 5 cached"];
  const data = [...cells(8, 0, panels[0]), ...cells(3, 5, panels[1])];
  const options: FigureOptions = {
    width: 640,
    height: 300,
    marginLeft: 50,
    marginTop: 30,
    x: { label: "key position j", axis: "bottom" },
    y: { label: "query i" },
    fx: { label: null, domain: panels },
    color: { domain: [true, false], range: ["#4a7fb0", "#eeeeee"] },
    marks: [Plot.cell(data, { x: "j", y: "i", fx: "panel", fill: "visible", inset: 1 })],
  };
  return plotFigure(options, "the step 02 reference causalMask: blue 0 (the key is visible), grey −∞ (hidden)");
}

/** Step 03: the residual stream's numbers before and after layer normalisation. */
function layerNormFigure(fm: FigureModel): string {
  const ids = promptIds(fm);
  const states = fm.model.transformer.hiddenStates(intTensor([ids]));
  const x = states[states.length - 1]; // the last block's output: what ln_f is about to normalise
  const ln = new LayerNorm(fm.model.config.n_embd, fm.model.config.layer_norm_epsilon);
  const y = ln.forward(x);
  const panels = ["before: the residual stream", "after LayerNorm (weight 1, bias 0)"];
  const values = [
    ...Array.from(x.data, (v) => ({ which: panels[0], v })),
    ...Array.from(y.data, (v) => ({ which: panels[1], v })),
  ];
  const options: FigureOptions = {
    width: 640,
    height: 320,
    marginTop: 30,
    x: { label: "value" },
    y: { label: "count", grid: true },
    marginRight: 190,
    facet: { data: values, y: "which", label: null },
    fy: { domain: panels },
    marks: [
      Plot.rectY(values, { ...Plot.binX({ y: "count" }, { x: "v", thresholds: 60 }), fill: "#4a7fb0" }),
      Plot.ruleY([0]),
    ],
  };
  return plotFigure(options, `${fm.name}: every number of the last hidden state for a ${ids.length}-token prompt`);
}

/** Steps 10–12: how large the residual stream grows, block after block. */
function residualFigure(fm: FigureModel): string {
  const ids = promptIds(fm);
  const sizes = residualSizes(fm.model, ids);
  const labels = labelsOf(fm, ids);
  const data = sizes.flatMap((row, depth) => row.map((size, t) => ({ depth, size, token: `${t}: ${labels[t]}` })));
  const options: FigureOptions = {
    width: 640,
    height: 320,
    marginRight: 120,
    x: { label: "depth (0 = embeddings, then after each block)", ticks: sizes.map((_, d) => d), tickFormat: "d" },
    y: { label: "RMS of the residual stream", grid: true },
    color: { legend: false, scheme: "viridis" },
    marks: [
      Plot.line(data, { x: "depth", y: "size", stroke: "token", strokeWidth: 1.5 }),
      Plot.text(
        data,
        Plot.selectLast({ x: "depth", y: "size", z: "token", text: "token", textAnchor: "start", dx: 4, fontSize: 9 }),
      ),
    ],
  };
  return plotFigure(options, `${fm.name}: one line per token of a ${ids.length}-token prompt`);
}

/** Step 13: one table read twice — as wte at the bottom of the model and as lm_head at the top. */
function weightTyingFigure(): string {
  const { vocab_size, n_embd } = new GPT2Config();
  const model = withoutInit(() => new GPT2LMHeadModel(new GPT2Config()));
  const tied = model.lm_head.weight === model.transformer.wte.weight;
  const width = 640;
  const height = 250;
  const shared = fmt(vocab_size * n_embd);
  const inner = `<svg width="${width}" height="${height}">
<defs><marker id="t" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0 L10 5 L0 10 z" fill="#555"/></marker></defs>
<rect x="230" y="70" width="180" height="110" rx="6" fill="#dbe9f6" stroke="#4a7fb0"/>
<text x="320" y="110" font-size="13" font-weight="600" text-anchor="middle">one tensor</text>
<text x="320" y="130" font-size="12" text-anchor="middle">[${vocab_size}, ${n_embd}]</text>
<text x="320" y="150" font-size="12" text-anchor="middle">${shared} numbers</text>
<rect x="20" y="20" width="170" height="50" rx="6" fill="#eef5fb" stroke="#4a7fb0"/>
<text x="105" y="42" font-size="12" text-anchor="middle" font-weight="600">wte (input)</text>
<text x="105" y="60" font-size="11" text-anchor="middle">id → row id</text>
<rect x="450" y="20" width="170" height="50" rx="6" fill="#eef5fb" stroke="#4a7fb0"/>
<text x="535" y="42" font-size="12" text-anchor="middle" font-weight="600">lm_head (output)</text>
<text x="535" y="60" font-size="11" text-anchor="middle">vector · every row → logits</text>
<path d="M 190 55 L 228 90" stroke="#555" marker-end="url(#t)"/>
<path d="M 450 55 L 412 90" stroke="#555" marker-end="url(#t)"/>
<text x="320" y="215" font-size="12" text-anchor="middle">lm_head.weight === transformer.wte.weight: ${tied}; counted once, ${shared} parameters saved</text>
</svg>`;
  return figure(inner, width, height, "GPT-2 124M's configuration, built by the step 13 reference");
}

/** Step 14: the next token's most likely candidates at two temperatures. */
function temperatureFigure(fm: FigureModel): string {
  const ids = promptIds(fm);
  const logits = nextTokenLogits(fm.model, ids);
  const data = [0.7, 1.5].flatMap((temperature) =>
    topCandidates(logits, temperature, 10).map(({ id, probability }) => ({
      temperature: `temperature ${temperature}`,
      token: tokenLabel(fm.tokenizer.decode([id])),
      probability,
    })),
  );
  const options: FigureOptions = {
    width: 640,
    height: 320,
    marginLeft: 90,
    marginTop: 30,
    fx: { label: null },
    x: { label: "probability", grid: true, percent: true },
    y: { label: null },
    marks: [
      Plot.barX(data, {
        x: "probability",
        y: "token",
        fx: "temperature",
        fill: "#4a7fb0",
        sort: { y: "-x", reduce: "max" },
      }),
      Plot.ruleX([0]),
    ],
  };
  return plotFigure(options, `${fm.name}: the 10 likeliest next tokens after "${PROMPT}"`);
}

/** Step 17: the loss at each position of one window of text. */
function lossFigure(fm: FigureModel): string {
  const ids = promptIds(fm);
  const logits = fm.model.forward(intTensor([ids.slice(0, -1)])); // position t predicts token t + 1
  const V = logits.shape[2];
  const labels = labelsOf(fm, ids);
  const data = ids.slice(1).map((target, t) => {
    const row = fromData(
      Float32Array.from({ length: V }, (_, v) => logits.get(0, t, v)),
      [1, 1, V],
    );
    return { position: `${t}: ${labels[t]} → ${labels[t + 1]}`, loss: crossEntropy(row, intTensor([[target]])) };
  });
  const options: FigureOptions = {
    width: 640,
    height: 300,
    marginLeft: 130,
    x: { label: "loss at this position (nats)", grid: true },
    y: { label: null, domain: data.map((d) => d.position) },
    marks: [
      Plot.barX(data, { x: "loss", y: "position", fill: "#4a7fb0" }),
      Plot.ruleX([Math.log(V)], { stroke: "#b00020", strokeDasharray: "4 3" }),
      Plot.text([Math.log(V)], {
        x: (d: number) => d,
        frameAnchor: "top",
        text: () => `ln ${V}: a uniform guess`,
        dy: -2,
        fill: "#b00020",
      }),
    ],
  };
  return plotFigure(options, `${fm.name}: each position predicting the next token`);
}

/** Step 21: the learning rate over a run. */
function scheduleFigure(): string {
  const schedule = { maxLr: 6e-4, minLr: 6e-5, warmup: 10, total: 100 };
  const data = Array.from({ length: 120 }, (_, step) => ({ step, lr: learningRate(step, schedule) }));
  const options: FigureOptions = {
    width: 640,
    height: 260,
    marginLeft: 60,
    x: { label: "step" },
    y: { label: "learning rate", grid: true, tickFormat: "~e" },
    marks: [Plot.line(data, { x: "step", y: "lr", stroke: "#4a7fb0", strokeWidth: 2 }), Plot.ruleY([0])],
  };
  return plotFigure(options, "the step 21 reference learningRate: warmup 10, total 100, 6e-4 → 6e-5");
}

function attentionFigure(fm: FigureModel): string {
  const ids = promptIds(fm);
  return attentionSvg(
    attentionMaps(fm.model, ids),
    labelsOf(fm, ids),
    `${fm.name}: every head of every layer, for one prompt`,
  );
}

/** Each figure: its file under book/src/figures/ and how to draw it. */
export const FIGURES: Record<string, (fm: FigureModel) => string> = {
  "model.svg": modelDiagram,
  "causal-mask.svg": maskFigure,
  "layer-norm.svg": layerNormFigure,
  "attention.svg": attentionFigure,
  "residual-stream.svg": residualFigure,
  "weight-tying.svg": weightTyingFigure,
  "temperature.svg": temperatureFigure,
  "loss.svg": lossFigure,
  "schedule.svg": scheduleFigure,
};
