#!/usr/bin/python3
"""Golden fixtures for the step checks, computed by an independent reference: PyTorch.

Run with Debian's Python, which sees Debian's torch (apt-get install -y python3-torch python3-numpy):

    /usr/bin/python3 scripts/make_fixtures.py            # rewrite tests/fixtures/
    /usr/bin/python3 scripts/make_fixtures.py --check    # regenerate in a temp dir, compare byte for byte

For every step it writes tests/fixtures/step_NN.safetensors (inputs, weights, expected outputs)
and an entry in tests/fixtures/manifest.json: the config, seed, tolerance, and the classic
mistakes the fixture is designed to expose. For each mistake the generator computes the
mistaken output with PyTorch too and asserts that it misses the reference by at least
SENSITIVITY x the tolerance, recording that distance in the manifest.

Semantics follow Hugging Face's GPT-2: pre-LN blocks, GELU with the tanh approximation,
LayerNorm with biased variance and eps 1e-5, attention scaled by 1/sqrt(head_dim), float32.
TypeScript code never writes fixtures.
"""
import argparse
import filecmp
import json
import math
import struct
import sys
import tempfile
from pathlib import Path

import torch

GENERATOR_VERSION = 1
SENSITIVITY = 100.0
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "tests" / "fixtures"

DTYPES = {torch.float32: "F32", torch.int32: "I32"}


def write_safetensors(path: Path, tensors: dict, metadata: dict) -> None:
    """The safetensors layout, written by hand (Debian has no safetensors package)."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # keep the data 8-byte aligned, as the reference writer does
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def distance(reference: torch.Tensor, mistaken: torch.Tensor, atol: float, rtol: float) -> float:
    """How far the mistaken output lands from the reference, in multiples of the tolerance (max over elements)."""
    if reference.shape != mistaken.shape:
        return math.inf
    ref, bad = reference.double(), mistaken.double()
    finite_mismatch = torch.isfinite(ref) != torch.isfinite(bad)
    if finite_mismatch.any():
        return math.inf
    both = torch.isfinite(ref)
    diff = (ref[both] - bad[both]).abs()
    allowed = atol + rtol * ref[both].abs()
    if allowed.min() == 0:
        return math.inf if (diff > 0).any() else 0.0
    return float((diff / allowed).max())


class Fixture:
    """Collects one step's tensors, and its named mistakes with their measured distances."""

    def __init__(self, step: str, title: str, seed: int, atol: float, rtol: float, config: dict):
        self.step, self.title, self.seed, self.atol, self.rtol, self.config = step, title, seed, atol, rtol, config
        self.tensors, self.mistakes = {}, []
        torch.manual_seed(seed)

    def add(self, name: str, tensor: torch.Tensor) -> torch.Tensor:
        self.tensors[name] = tensor.detach().clone()
        return tensor.detach()

    def mistake(self, name: str, description: str, pairs) -> None:
        """pairs: [(reference_tensor, mistaken_tensor), ...]; the distance is the largest over them."""
        d = max(distance(r, m, self.atol, self.rtol) for r, m in pairs)
        if d < SENSITIVITY:
            sys.exit(f"{self.step}: mistake '{name}' moves the output by only {d:.3g}x the tolerance (< {SENSITIVITY}); pick larger scales")
        self.mistakes.append({"name": name, "description": description, "distance_in_tolerances": "inf" if math.isinf(d) else float(f"{d:.4g}")})

    def manifest(self) -> dict:
        return {
            "title": self.title,
            "file": f"{self.step}.safetensors",
            "seed": self.seed,
            "config": self.config,
            "tolerance": {"atol": self.atol, "rtol": self.rtol},
            "tensors": sorted(self.tensors),
            "mistakes": self.mistakes,
        }


# ---------------------------------------------------------------- step 02: causal mask


def causal_mask(t: int, past: int) -> torch.Tensor:
    """[t, past + t]: query i (absolute position past + i) may see keys 0 … past + i."""
    full = torch.full((t, past + t), float("-inf"))
    return torch.triu(full, diagonal=past + 1)


def step_02() -> Fixture:
    cases = [(1, 0), (4, 0), (5, 0), (3, 2), (1, 5), (2, 7)]
    f = Fixture("step_02", "Causal masking", seed=0, atol=0.0, rtol=0.0, config={"cases": [{"T": t, "past": p} for t, p in cases]})
    masks = [f.add(f"mask_T{t}_past{p}", causal_mask(t, p)) for t, p in cases]
    full = lambda t, p: torch.full((t, p + t), float("-inf"))
    f.mistake("diagonal masked", "triu(diagonal=past) also hides each token from itself", [(m, torch.triu(full(t, p), diagonal=p)) for m, (t, p) in zip(masks, cases)])
    f.mistake("past ignored", "triu(diagonal=1) on [T, past+T] lets early queries miss the cached keys they may see", [(m, torch.triu(full(t, p), diagonal=1)) for m, (t, p) in zip(masks, cases)])
    f.mistake("lower triangle masked", "tril instead of triu hides the past and shows the future", [(m, torch.tril(full(t, p), diagonal=p - 1)) for m, (t, p) in zip(masks, cases)])
    return f


# ---------------------------------------------------------------- shared helpers

import torch.nn.functional as F  # noqa: E402

# A tiny GPT-2 configuration: big enough for every mistake to show, small enough to commit.
TINY = {"vocab_size": 64, "n_positions": 16, "n_embd": 16, "n_layer": 2, "n_head": 4, "layer_norm_epsilon": 1e-5}
TOL = {"atol": 1e-5, "rtol": 1e-5}


def linear_weights(f: Fixture, prefix: str, n_in: int, n_out: int, std: float) -> torch.nn.Linear:
    """A PyTorch nn.Linear with random weights (weight [out, in]), stored under `prefix`."""
    layer = torch.nn.Linear(n_in, n_out)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(n_out, n_in) * std)
        layer.bias.copy_(torch.randn(n_out) * std)
    f.add(f"{prefix}.weight", layer.weight)
    f.add(f"{prefix}.bias", layer.bias)
    return layer


# ---------------------------------------------------------------- step 03: layer norm


def step_03() -> Fixture:
    f = Fixture("step_03", "Layer normalization", seed=3, **TOL, config={"dim": 16, "eps": 1e-5})
    # Rows of very different scale: the tiny ones make eps matter, the offset ones the mean.
    scales = torch.tensor([3e-3, 0.05, 1.0, 4.0, 1e-2, 0.5, 2.0, 8.0]).view(2, 4, 1)
    offsets = torch.tensor([0.0, -2.0, 3.0, 0.5, 1.0, 0.0, -4.0, 10.0]).view(2, 4, 1)
    x = f.add("x", torch.randn(2, 4, 16) * scales + offsets)
    ln = torch.nn.LayerNorm(16, eps=1e-5)
    with torch.no_grad():
        ln.weight.copy_(1 + 0.5 * torch.randn(16))
        ln.bias.copy_(0.5 * torch.randn(16))
    f.add("weight", ln.weight)
    f.add("bias", ln.bias)
    y = f.add("y", ln(x))
    w, b, eps = ln.weight.detach(), ln.bias.detach(), 1e-5
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    f.mistake("unbiased variance", "divides by n-1 instead of n (torch.var's default)", [(y, (x - mean) / torch.sqrt(x.var(-1, unbiased=True, keepdim=True) + eps) * w + b)])
    f.mistake("eps outside the square root", "(x - mean) / (sqrt(var) + eps)", [(y, (x - mean) / (torch.sqrt(var) + eps) * w + b)])
    f.mistake("eps missing", "(x - mean) / sqrt(var)", [(y, (x - mean) / torch.sqrt(var) * w + b)])
    f.mistake("mean not subtracted", "x / sqrt(var + eps)", [(y, x / torch.sqrt(var + eps) * w + b)])
    f.mistake("weight and bias swapped", "normalized * bias + weight", [(y, (x - mean) / torch.sqrt(var + eps) * b + w)])
    return f


# ---------------------------------------------------------------- step 04: feed-forward network


def step_04() -> Fixture:
    f = Fixture("step_04", "Feed-forward network", seed=4, **TOL, config=dict(TINY, gelu_tolerance={"atol": 1e-6, "rtol": 1e-6}))
    # GELU on a grid: the tanh approximation and the exact erf form differ by at most ~5e-4,
    # so this part of the fixture has its own, tighter tolerance.
    grid = f.add("gelu_x", torch.linspace(-6, 6, 241))
    gelu = f.add("gelu_y", F.gelu(grid, approximate="tanh"))
    gelu_check = Fixture("step_04_gelu", "", seed=4, atol=1e-6, rtol=1e-6, config={})
    gelu_check.mistake("exact erf GELU", "F.gelu(x) without approximate='tanh'", [(gelu, F.gelu(grid))])
    gelu_check.mistake("sigmoid GELU", "x * sigmoid(1.702 x)", [(gelu, grid * torch.sigmoid(1.702 * grid))])
    gelu_check.mistake("ReLU", "max(x, 0)", [(gelu, F.relu(grid))])
    f.mistakes += [dict(m, name=f"gelu: {m['name']}", tolerance="gelu_tolerance") for m in gelu_check.mistakes]

    c, inner = TINY["n_embd"], 4 * TINY["n_embd"]
    c_fc = linear_weights(f, "c_fc", c, inner, std=0.5)
    c_proj = linear_weights(f, "c_proj", inner, c, std=0.5)
    x = f.add("x", torch.randn(2, 3, c))
    h = c_fc(x)
    y = f.add("y", c_proj(F.gelu(h, approximate="tanh")))
    f.mistake("no activation", "c_proj(c_fc(x))", [(y, c_proj(h))])
    f.mistake("ReLU instead of GELU", "c_proj(relu(c_fc(x)))", [(y, c_proj(F.relu(h)))])
    f.mistake("GELU after c_proj", "gelu(c_proj(c_fc(x)))", [(y, F.gelu(c_proj(h), approximate="tanh"))])
    return f


# ---------------------------------------------------------------- steps 05 and 06: embeddings


def step_05() -> Fixture:
    f = Fixture("step_05", "Token embeddings", seed=5, **TOL, config=TINY)
    table = f.add("weight", torch.randn(TINY["vocab_size"], TINY["n_embd"]))
    ids = f.add("ids", torch.tensor([[0, 5, 63, 5, 17], [42, 1, 2, 3, 62]], dtype=torch.int32))
    y = f.add("y", F.embedding(ids.long(), table))
    f.mistake("off by one", "looks up id + 1", [(y, F.embedding((ids.long() + 1) % TINY["vocab_size"], table))])
    f.mistake("columns instead of rows", "reads table[:, id] as if the table were [n_embd, vocab_size]", [(y, table.t().reshape(TINY["vocab_size"], TINY["n_embd"])[ids.long()])])
    return f


def step_06() -> Fixture:
    f = Fixture("step_06", "Position embeddings", seed=6, **TOL, config=dict(TINY, T=5, past=3))
    table = f.add("weight", torch.randn(TINY["n_positions"], TINY["n_embd"]))
    y = f.add("y", table[3:8])
    y0 = f.add("y_past0", table[0:5])
    f.mistake("past ignored", "positions 0…T-1 even after past tokens", [(y, table[0:5])])
    f.mistake("off by one", "positions past+1 … past+T", [(y, table[4:9]), (y0, table[1:6])])
    return f


# ---------------------------------------------------------------- steps 07 and 08: attention


def step_07() -> Fixture:
    f = Fixture("step_07", "Q/K/V projections", seed=7, **TOL, config=TINY)
    c = TINY["n_embd"]
    c_attn = linear_weights(f, "c_attn", c, 3 * c, std=0.5)
    x = f.add("x", torch.randn(2, 5, c))
    qkv = c_attn(x)
    q, k, v = qkv.split(c, dim=-1)
    f.add("q", q), f.add("k", k), f.add("v", v)
    f.mistake("wrong order", "takes k, q, v (or any order but q, k, v)", [(q, k), (k, q)])
    f.mistake("interleaved split", "reshapes [..., 3C] to [..., C, 3] instead of taking three consecutive blocks", [(q, qkv.view(2, 5, c, 3)[..., 0]), (v, qkv.view(2, 5, c, 3)[..., 2])])
    f.mistake("bias dropped", "x·Wᵀ without + b", [(q, F.linear(x, c_attn.weight)[..., :c])])
    return f


def reference_attention(q, k, v, scale=None, mask_diagonal=False, masked=True):
    tq, tk, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-2, -1) * (1 / math.sqrt(d) if scale is None else scale)
    if masked:
        scores = scores + causal_mask(tq, tk - tq) if not mask_diagonal else scores + torch.triu(torch.full((tq, tk), float("-inf")), diagonal=tk - tq)
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def step_08() -> Fixture:
    f = Fixture("step_08", "Attention", seed=8, **TOL, config={"head_dim": 8, "T": 6, "past_case": {"T": 2, "past": 4}})
    q, k, v = (f.add(n, torch.randn(2, 6, 8) * 1.5) for n in ("q", "k", "v"))
    out, w = reference_attention(q, k, v)
    # PyTorch's own fused kernel must agree with the formula (an independent cross-check).
    fused = F.softmax((q @ k.transpose(-2, -1)) / math.sqrt(8) + causal_mask(6, 0), dim=-1) @ v
    assert torch.allclose(out, fused)
    f.add("out", out), f.add("weights", w)
    q2 = f.add("q_cached", q[:, 4:, :])
    out2, w2 = reference_attention(q2, k, v)
    f.add("out_cached", out2), f.add("weights_cached", w2)
    f.mistake("scale missing", "q·kᵀ without dividing by sqrt(head_dim)", [(out, reference_attention(q, k, v, scale=1.0)[0])])
    f.mistake("scale 1/head_dim", "divides by head_dim instead of its square root", [(out, reference_attention(q, k, v, scale=1 / 8)[0])])
    f.mistake("diagonal masked", "each token cannot see itself (first row becomes NaN)", [(out, reference_attention(q, k, v, mask_diagonal=True)[0])])
    f.mistake("no mask", "every token sees the future", [(out, reference_attention(q, k, v, masked=False)[0])])
    f.mistake("cache ignored in the mask", "a square [T, T] mask with cached keys", [(out2, torch.softmax(q2 @ k.transpose(-2, -1) / math.sqrt(8) + torch.triu(torch.full((2, 6), float("-inf")), diagonal=1), -1) @ v)])
    return f


STEPS = [step_02, step_03, step_04, step_05, step_06, step_07, step_08]


def generate(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "generator": "scripts/make_fixtures.py",
        "command": "/usr/bin/python3 scripts/make_fixtures.py",
        "generator_version": GENERATOR_VERSION,
        "torch_version": torch.__version__,
        "sensitivity": f"every listed mistake moves the output by at least {SENSITIVITY:g}x the tolerance",
        "steps": {},
    }
    for build in STEPS:
        fixture = build()
        meta = {"step": fixture.step, "generator": "scripts/make_fixtures.py", "generator_version": str(GENERATOR_VERSION)}
        write_safetensors(out / f"{fixture.step}.safetensors", fixture.tensors, meta)
        manifest["steps"][fixture.step] = fixture.manifest()
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="regenerate into a temporary folder and compare with --out")
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: identical floating-point sums on every run
    if not args.check:
        generate(args.out)
        print(f"wrote fixtures for {len(STEPS)} steps to {args.out}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        names = sorted(p.name for p in Path(tmp).iterdir())
        _, mismatch, missing = filecmp.cmpfiles(args.out, tmp, names, shallow=False)
        if mismatch or missing:
            sys.exit(f"fixtures differ from a fresh run: changed {mismatch}, missing {missing}")
        print(f"all {len(names)} fixture files reproduce byte for byte")


if __name__ == "__main__":
    main()
