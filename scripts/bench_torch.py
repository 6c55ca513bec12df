#!/usr/bin/python3
"""PyTorch's side of `npm run bench -- --compare-torch`: the same GPT-2 checkpoint, the same
measurements, the same thread count, so the bench can print ratios from one run. Also times
greedy decoding with a KV cache in plain NumPy (OpenBLAS), the other peer a learner could use.

    /usr/bin/python3 scripts/bench_torch.py --model DIR --threads N [--decode-tokens N]

Prints one JSON object. The model is the fixture generator's PyTorch GPT-2 (Hugging Face
semantics) with its KV-cache forward, loaded from a Hugging Face safetensors checkpoint.
"""
import argparse
import json
import statistics
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from blas import loaded_blas  # noqa: E402
from make_fixtures import CONV1D, LMHead, forward_with_cache  # noqa: E402


def read_safetensors(path: Path) -> dict:
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    dtypes = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64, "I32": np.int32}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        raw = np.frombuffer(data, dtype=dtypes[e["dtype"]], count=(end - begin) // np.dtype(dtypes[e["dtype"]]).itemsize, offset=8 + n + begin)
        out[name] = torch.from_numpy(raw.astype(np.float32).reshape(e["shape"]))
    return out


def load(model_dir: Path) -> LMHead:
    cfg = json.loads((model_dir / "config.json").read_text())
    model = LMHead(dict(vocab_size=cfg["vocab_size"], n_positions=cfg["n_positions"], n_embd=cfg["n_embd"], n_layer=cfg["n_layer"], n_head=cfg["n_head"], layer_norm_epsilon=cfg["layer_norm_epsilon"]))
    state = {}
    for key, tensor in read_safetensors(model_dir / "model.safetensors").items():
        key = key.removeprefix("transformer.")
        if key.endswith((".attn.bias", ".attn.masked_bias")) or key == "lm_head.weight":
            continue
        state[key] = tensor.t().contiguous() if key.endswith(CONV1D) else tensor
    model.transformer.load_state_dict(state)
    return model.eval()


def numpy_decode(model: LMHead, prompt: list, tokens: int) -> float:
    """Greedy decoding with a KV cache in NumPy (float32, the BLAS NumPy links): tokens/s after the prompt."""
    tr = model.transformer
    p = lambda t: t.detach().numpy()
    wte, wpe = p(tr.wte.weight), p(tr.wpe.weight)
    layers = [{n: p(t) for n, t in block.named_parameters()} for block in tr.h]
    n_head = tr.h[0].attn.n_head

    def norm(x, w, b):
        m = x.mean(-1, keepdims=True)
        return (x - m) / np.sqrt(((x - m) ** 2).mean(-1, keepdims=True) + 1e-5) * w + b

    def step(ids, cache):
        past = cache[0][0].shape[1] if cache else 0
        x = wte[ids] + wpe[past : past + len(ids)]
        t, c = x.shape
        d = c // n_head
        new = []
        for i, L in enumerate(layers):
            q, k, v = np.split(norm(x, L["ln_1.weight"], L["ln_1.bias"]) @ L["attn.c_attn.weight"].T + L["attn.c_attn.bias"], 3, axis=-1)
            q, k, v = (z.reshape(t, n_head, d).transpose(1, 0, 2) for z in (q, k, v))
            if cache:
                k, v = np.concatenate([cache[i][0], k], 1), np.concatenate([cache[i][1], v], 1)
            new.append((k, v))
            s = q @ k.transpose(0, 2, 1) / np.sqrt(d) + np.triu(np.full((t, past + t), -np.inf, np.float32), past + 1)
            s = np.exp(s - s.max(-1, keepdims=True))
            y = ((s / s.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(t, c)
            x = x + y @ L["attn.c_proj.weight"].T + L["attn.c_proj.bias"]
            h = norm(x, L["ln_2.weight"], L["ln_2.bias"]) @ L["mlp.c_fc.weight"].T + L["mlp.c_fc.bias"]
            h = 0.5 * h * (1 + np.tanh(np.sqrt(2 / np.pi) * (h + 0.044715 * h**3)))
            x = x + h @ L["mlp.c_proj.weight"].T + L["mlp.c_proj.bias"]
        last = norm(x[-1:], p(tr.ln_f.weight), p(tr.ln_f.bias))
        return last @ wte.T, new

    logits, cache = step(np.array(prompt), None)
    start = time.perf_counter()
    for _ in range(tokens):
        logits, cache = step(np.array([int(logits[0].argmax())]), cache)
    return tokens / (time.perf_counter() - start)


def median_ms(run, repeats: int) -> float:
    run()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--decode-tokens", type=int, default=32)
    parser.add_argument("--prefill", default="16,64,256")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    model = load(args.model)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "load_s": time.perf_counter() - start, "prefill_ms": {}}
    vocab = model.lm_head.weight.shape[0]
    with torch.no_grad():
        for t in (int(x) for x in args.prefill.split(",")):
            ids = (torch.arange(t) * 97 % vocab).view(1, t)
            result["prefill_ms"][str(t)] = median_ms(lambda: forward_with_cache(model, ids, None, last_only=True), 5)
        prompt = torch.tensor([[464, 3290, 318, 257]])

        def decode():
            logits, past = forward_with_cache(model, prompt, None, last_only=True)
            start = time.perf_counter()
            for _ in range(args.decode_tokens):
                next_id = logits[:, -1].argmax(-1, keepdim=True)
                logits, past = forward_with_cache(model, next_id, past, last_only=True)
            return args.decode_tokens / (time.perf_counter() - start)

        decode()
        result["decode_tokens_per_s"] = statistics.median(decode() for _ in range(3))
    numpy_decode(model, [464, 3290, 318, 257], 4)
    result["numpy_decode_tokens_per_s"] = statistics.median(numpy_decode(model, [464, 3290, 318, 257], args.decode_tokens) for _ in range(3))
    result["blas"] = loaded_blas()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
