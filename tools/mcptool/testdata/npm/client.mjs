// The official TypeScript MCP client drives a Ponder MCP server over stdio:
// it lists the tools and calls each one named in PONDER_CALLS (JSON:
// [{name, arguments}]), printing one JSON document with what it saw.
// PONDER_SERVER is the server command as a JSON array; PONDER_ENV extra
// environment as JSON.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [command, ...args] = JSON.parse(process.env.PONDER_SERVER);
const env = { ...process.env, ...JSON.parse(process.env.PONDER_ENV || "{}") };
const transport = new StdioClientTransport({ command, args, env, stderr: "inherit" });
const client = new Client({ name: "ponder-test-client", version: "1.0.0" });
await client.connect(transport);
const listed = await client.listTools();
const calls = [];
for (const c of JSON.parse(process.env.PONDER_CALLS || "[]")) {
  const res = await client.callTool({ name: c.name, arguments: c.arguments });
  calls.push({
    name: c.name,
    isError: !!res.isError,
    text: res.content.filter((x) => x.type === "text").map((x) => x.text).join("\n"),
  });
}
console.log(JSON.stringify({
  server: client.getServerVersion(),
  tools: listed.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })),
  calls,
}));
await client.close();
