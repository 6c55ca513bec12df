#!/usr/bin/python3
"""onnxruntime's side of `npm run bench -- --compare-ort`: exports a GPT-2 checkpoint to ONNX.

    /usr/bin/python3 scripts/export_onnx.py --model DIR --out FILE.onnx

The graph is the fixture generator's PyTorch GPT-2 (Hugging Face semantics) running its KV-cache
forward, traced with torch.onnx.export (opset 17; the `onnx` Python package is not needed):

    inputs   ids [1, T] int64, then past_key_i and past_value_i [1, n_head, P, head_dim] per layer
    outputs  logits [1, 1, vocab] (last position only, as generation needs), then
             present_key_i and present_value_i [1, n_head, P + T, head_dim]

so one graph does both the prompt (P = 0) and each decoded token (T = 1). Weights are float32.
"""
import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_torch import load  # noqa: E402
from make_fixtures import forward_with_cache  # noqa: E402


class CachedStep(torch.nn.Module):
    """forward_with_cache with the cache flattened into separate inputs and outputs (ONNX has no lists of pairs)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids, *flat_past):
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(len(flat_past) // 2)]
        logits, presents = forward_with_cache(self.model, ids, past, last_only=True)
        return (logits, *(t for pair in presents for t in pair))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    model = load(args.model)
    n_layer, n_head = len(model.transformer.h), model.transformer.h[0].attn.n_head
    head_dim = model.transformer.wte.weight.shape[1] // n_head
    # Traced with 2 new tokens after 3 cached ones: both sizes then stay symbolic in the graph.
    ids = torch.tensor([[464, 3290]])
    past = [torch.zeros(1, n_head, 3, head_dim) for _ in range(2 * n_layer)]
    kinds = [f"{kind}_{i}" for i in range(n_layer) for kind in ("key", "value")]
    inputs = ["ids"] + [f"past_{k}" for k in kinds]
    outputs = ["logits"] + [f"present_{k}" for k in kinds]
    dynamic = {"ids": {1: "T"}} | {f"past_{k}": {2: "P"} for k in kinds} | {f"present_{k}": {2: "P+T"} for k in kinds}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_suffix(".partial")
    with torch.no_grad():
        torch.onnx.export(
            CachedStep(model), (ids, *past), str(partial), input_names=inputs, output_names=outputs,
            dynamic_axes=dynamic, opset_version=17,
        )
    partial.rename(args.out)  # only a whole export is ever found under the real name


if __name__ == "__main__":
    main()
