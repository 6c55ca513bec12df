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
        return tensor

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


STEPS = [step_02]


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
