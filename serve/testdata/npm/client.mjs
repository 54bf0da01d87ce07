// Drives a running `ponder serve` with the official openai npm client and
// prints one JSON object of results for the Go test to check.
import OpenAI from "openai";

const client = new OpenAI({ baseURL: process.env.PONDER_URL, apiKey: process.env.PONDER_TOKEN, maxRetries: 0 });
const out = {};

const models = await client.models.list();
out.models = models.data.map((m) => m.id);

const chat = await client.chat.completions.create({
  model: out.models[0],
  messages: [{ role: "user", content: "Say something." }],
  n: 2,
  max_tokens: 8,
  seed: 1,
});
out.chatChoices = chat.choices.length;
out.chatFinish = chat.choices.map((c) => c.finish_reason);

const stream = await client.chat.completions.create({
  model: out.models[0],
  messages: [{ role: "user", content: "Stream something." }],
  max_tokens: 8,
  stream: true,
});
let streamed = "";
let streamFinish = null;
for await (const chunk of stream) {
  streamed += chunk.choices[0]?.delta?.content ?? "";
  streamFinish = chunk.choices[0]?.finish_reason ?? streamFinish;
}
out.streamed = streamed;
out.streamFinish = streamFinish;

const strict = await client.chat.completions.create({
  model: out.models[0],
  messages: [{ role: "user", content: "Describe a state." }],
  max_tokens: 80,
  response_format: {
    type: "json_schema",
    json_schema: {
      name: "state",
      strict: true,
      schema: {
        type: "object",
        properties: {
          name: { type: "string", maxLength: 8 },
          region: { enum: ["West", "South", "Midwest", "Northeast"] },
          coastal: { type: "boolean" },
        },
        required: ["name", "region", "coastal"],
        additionalProperties: false,
      },
    },
  },
});
out.strict = strict.choices[0].message.content;
out.strictParsed = JSON.parse(out.strict);

try {
  await client.chat.completions.create({ model: out.models[0], messages: [] });
  out.badRequest = "no error";
} catch (e) {
  out.badRequest = { status: e.status, message: e.error?.message ?? e.message };
}

console.log(JSON.stringify(out));
