// llama.cpp as a reference for Ponder's tests. Reads one JSON request on
// stdin (or {"batch": [requests]}): {"model": PATH, "logits": [[ids...], ...], "tokenize": [texts...],
// "special": bool, "bench": {"prompt": N, "decode": M, "threads": T}} and
// writes {"logits": [[[row]...]...], "tokens": [[ids]...], "bench": {...}}.
import { getLlama } from "node-llama-cpp";

const input = JSON.parse(await new Promise((resolve) => {
  let s = "";
  process.stdin.on("data", (d) => (s += d));
  process.stdin.on("end", () => resolve(s));
}));
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error", usePrebuiltBinaries: true });
// A batch: {"batch": [request, ...]} answers [response, ...] in one process.
if (input.batch) {
  const outs = [];
  for (const r of input.batch) outs.push(await run(r));
  process.stdout.write(JSON.stringify(outs));
} else {
  process.stdout.write(JSON.stringify(await run(input)));
}
await llama.dispose();

async function run(input) {
const t0 = performance.now();
const model = await llama.loadModel({ modelPath: input.model, gpuLayers: 0, useMmap: true });
const loadMs = performance.now() - t0;
const out = { loadMs };
if (input.tokenize) {
  out.tokens = input.tokenize.map((t) => Array.from(model.tokenize(t, input.special ?? false)));
}
if (input.logits) {
  // An F32 KV cache and no flash attention: the reference computes in
  // float32 as Ponder does (llama.cpp defaults to an F16 cache).
  const ctx = await model.createContext({ contextSize: input.contextSize ?? 256, threads: 1, batchSize: 512,
    flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" });
  out.logits = [];
  for (const ids of input.logits) {
    const seq = ctx.getSequence();
    const items = ids.map((id) => [id, { generateNext: { logits: true } }]);
    const res = await seq.controlledEvaluate(items);
    const rows = res.map((r) => {
      const m = r?.next?.logits;
      const row = new Array(m.size);
      for (const [tok, v] of m) row[tok] = v;
      return row;
    });
    out.logits.push(rows);
    seq.dispose();
  }
  await ctx.dispose();
}
if (input.bench) {
  const b = input.bench;
  const ctx = await model.createContext({ contextSize: b.prompt + b.decode + 8, threads: b.threads ?? 1, batchSize: 512 });
  const seq = ctx.getSequence();
  const prompt = Array.from({ length: b.prompt }, (_, i) => 100 + (i * 7) % 1000);
  let t = performance.now();
  await seq.evaluateWithoutGeneratingNewTokens(prompt);
  const prefillMs = performance.now() - t;
  t = performance.now();
  let n = 0;
  for await (const tok of seq.evaluate([prompt[0]], { temperature: 0 })) {
    if (++n >= b.decode) break;
  }
  const decodeMs = performance.now() - t;
  out.bench = { prefillTokS: b.prompt / prefillMs * 1000, decodeTokS: n / decodeMs * 1000, threads: b.threads ?? 1 };
  seq.dispose();
  await ctx.dispose();
}
await model.dispose();
return out;
}
