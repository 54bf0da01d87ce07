// @huggingface/jinja as the reference for Ponder's chat-template tests.
// Reads [{"template": src, "vars": {...}}, ...] on stdin and writes
// [{"text": rendered} | {"error": message}, ...].
import { Template } from "@huggingface/jinja";

const cases = JSON.parse(await new Promise((resolve) => {
  let s = "";
  process.stdin.on("data", (d) => (s += d));
  process.stdin.on("end", () => resolve(s));
}));
const out = cases.map((c) => {
  try {
    return { text: new Template(c.template).render(c.vars) };
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
});
process.stdout.write(JSON.stringify(out));
