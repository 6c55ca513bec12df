#!/usr/bin/python3
"""PyTorch's side of a training-speed comparison: the fixture generator's GPT-2 (Hugging Face
semantics) in the shape `npm run train` uses by default (or another), trained on random windows
with AdamW and clipping as tools/commands/train.ts does, on the same number of threads. Prints
tokens per second; `npm run bench -- --train --compare-torch` runs it with --json, which adds the
process's peak resident memory (for --train-memory).

    /usr/bin/python3 scripts/bench_train.py [--threads 2] [--steps 20]
    /usr/bin/python3 scripts/bench_train.py --n-embd 768 --n-layer 12 --n-head 12 --n-positions 1024 --batch 1
"""
import argparse
import json
import resource
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from blas import loaded_blas  # noqa: E402
from make_fixtures import TINY, LMHead  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--n-embd", type=int, default=64)
    parser.add_argument("--n-layer", type=int, default=2)
    parser.add_argument("--n-head", type=int, default=4)
    parser.add_argument("--n-positions", type=int, default=0, help="default: the context")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = dict(TINY, vocab_size=50257, n_positions=args.n_positions or args.context, n_embd=args.n_embd,
               n_layer=args.n_layer, n_head=args.n_head)
    model = LMHead(cfg)
    params = dict(model.named_parameters())
    opt = torch.optim.AdamW(
        [{"params": [p for p in params.values() if p.dim() >= 2], "weight_decay": 0.1}, {"params": [p for p in params.values() if p.dim() < 2], "weight_decay": 0.0}],
        lr=3e-3, betas=(0.9, 0.95), eps=1e-8,
    )
    times = []
    for step in range(args.steps + args.warmup):
        window = torch.randint(0, 50257, (args.batch, args.context + 1))
        start = time.perf_counter()
        loss = F.cross_entropy(model(window[:, :-1]).reshape(-1, 50257), window[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        opt.step()
        if step >= args.warmup:  # the first steps warm allocators up
            times.append(time.perf_counter() - start)
    tokens = args.batch * args.context
    if args.json:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux counts KiB
        print(json.dumps({"torch": torch.__version__, "blas": loaded_blas(), "tokens_per_s": tokens * len(times) / sum(times), "peak_rss_bytes": peak}))
        return
    print(f"PyTorch {torch.__version__}, {args.threads} thread(s): {tokens * len(times) / sum(times):.0f} tokens/s "
          f"(width {args.n_embd}, {args.n_layer} blocks, batch {args.batch} x {args.context}, vocab 50257)")


if __name__ == "__main__":
    main()
