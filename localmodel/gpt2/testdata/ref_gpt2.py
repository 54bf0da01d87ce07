"""Independent GPT-2 forward pass in numpy, for checking Ponder's runtime.

Reads an llm.c checkpoint (magic 20240326, version 3, fp32) and a comma-
separated list of token ids, and prints the logits at every position as a
JSON array of arrays. Written from the GPT-2 paper and llm.c's documented
layout, not from Ponder's Go code.

    python3 ref_gpt2.py model.bin 1,2,3
"""
import json
import sys

import numpy as np


def main():
    path, toks = sys.argv[1], [int(t) for t in sys.argv[2].split(",")]
    with open(path, "rb") as f:
        header = np.frombuffer(f.read(1024), dtype=np.int32)
        assert header[0] == 20240326 and header[1] == 3, "not an fp32 llm.c checkpoint"
        T, V, L, H, C, Vp = (int(x) for x in header[2:8])
        params = np.frombuffer(f.read(), dtype=np.float32)
    shapes = [("wte", (Vp, C)), ("wpe", (T, C)), ("ln1w", (L, C)), ("ln1b", (L, C)),
              ("qkvw", (L, 3 * C, C)), ("qkvb", (L, 3 * C)), ("attprojw", (L, C, C)), ("attprojb", (L, C)),
              ("ln2w", (L, C)), ("ln2b", (L, C)), ("fcw", (L, 4 * C, C)), ("fcb", (L, 4 * C)),
              ("fcprojw", (L, C, 4 * C)), ("fcprojb", (L, C)), ("lnfw", (C,)), ("lnfb", (C,))]
    p, off = {}, 0
    for name, shape in shapes:
        n = int(np.prod(shape))
        p[name] = params[off:off + n].reshape(shape).astype(np.float64)
        off += n
    assert off == params.size

    def ln(x, w, b):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-5) * w + b

    n = len(toks)
    x = p["wte"][toks] + p["wpe"][:n]
    hs = C // H
    mask = np.triu(np.full((n, n), -np.inf), 1)
    for l in range(L):
        h = ln(x, p["ln1w"][l], p["ln1b"][l])
        qkv = h @ p["qkvw"][l].T + p["qkvb"][l]
        q, k, v = np.split(qkv, 3, axis=-1)
        out = np.zeros_like(q)
        for i in range(H):
            s = slice(i * hs, (i + 1) * hs)
            a = q[:, s] @ k[:, s].T / np.sqrt(hs) + mask
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            out[:, s] = a @ v[:, s]
        x = x + out @ p["attprojw"][l].T + p["attprojb"][l]
        h = ln(x, p["ln2w"][l], p["ln2b"][l])
        f = h @ p["fcw"][l].T + p["fcb"][l]
        f = 0.5 * f * (1 + np.tanh(np.sqrt(2 / np.pi) * (f + 0.044715 * f ** 3)))
        x = x + f @ p["fcprojw"][l].T + p["fcprojb"][l]
    logits = ln(x, p["lnfw"], p["lnfb"]) @ p["wte"][:V].T
    json.dump(logits.tolist(), sys.stdout)


if __name__ == "__main__":
    main()
