// Run by hand (never in the tests): the official OpenAI Node SDK and LangChain.js against a running `serve`.
//   npm install --prefix /tmp/clients openai@6 @langchain/openai@1 @langchain/core@1 zod@3
//   java -jar target/layerskip.jar serve --port 8123 --chat-template src/openai/test/resources/chat-templates/demo/code-chat.jinja &
//   NODE_PATH=/tmp/clients/node_modules node scripts/openai-clients-check.mjs http://127.0.0.1:8123/v1 layerskip-demo
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH ? process.env.NODE_PATH + "/" : import.meta.url);
const OpenAI = require("openai").default;
const { zodResponseFormat } = require("openai/helpers/zod");
const { ChatOpenAI } = require("@langchain/openai");
const { z } = require("zod");

const baseURL = process.argv[2] ?? "http://127.0.0.1:8123/v1";
const model = process.argv[3] ?? "layerskip-demo";
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });
const results = [];
async function check(name, fn) {
  try {
    const detail = await fn();
    results.push(["ok", name, detail ?? ""]);
  } catch (e) {
    results.push(["FAIL", name, String(e?.message ?? e)]);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
const messages = [{ role: "user", content: "Write a function that reads a file." }];
const User = z.object({ name: z.string(), age: z.number().int(), active: z.boolean() });

await check("models.list", async () => (await client.models.list()).data.map((m) => m.id).join(","));
await check("models.retrieve", async () => (await client.models.retrieve(model)).id);
await check("models.retrieve unknown is NotFoundError", async () => {
  try { await client.models.retrieve("gpt-4o"); } catch (e) { assert(e instanceof OpenAI.NotFoundError, e); return e.status; }
  throw new Error("no error");
});
await check("chat logprobs + top_logprobs", async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 12, logprobs: true, top_logprobs: 2, temperature: 0 });
  const content = r.choices[0].logprobs.content;
  assert(content.length === r.usage.completion_tokens, `${content.length} entries for ${r.usage.completion_tokens} tokens`);
  assert(content.every((c) => c.top_logprobs.length === 2 && c.logprob <= 0), "top_logprobs");
  return `${content.length} tokens, first ${content[0].token} ${content[0].logprob.toFixed(4)}`;
});
await check("chat n = 2", async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 8, n: 2, temperature: 0.9, seed: 3 });
  assert(r.choices.length === 2 && r.choices[1].index === 1, JSON.stringify(r.choices));
  return r.choices.map((c) => JSON.stringify(c.message.content)).join(" | ");
});
await check("chat stream with logprobs", async () => {
  const stream = await client.chat.completions.create({ model, messages, max_tokens: 10, stream: true, logprobs: true, temperature: 0 });
  let text = "", values = 0;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      text += c.delta?.content ?? "";
      values += c.logprobs?.content?.length ?? 0;
    }
  }
  assert(values === 10, `${values} streamed values`);
  return JSON.stringify(text);
});
await check("completions echo + logprobs", async () => {
  const prompt = "def read_lines(path):";
  const r = await client.completions.create({ model, prompt, max_tokens: 1, echo: true, logprobs: 1, temperature: 0 });
  const lp = r.choices[0].logprobs;
  assert(r.choices[0].text.startsWith(prompt), "echo");
  assert(lp.token_logprobs[0] === null, "first prompt token has no value");
  const sum = lp.token_logprobs.slice(1, -1).reduce((a, b) => a + b, 0);
  return `log-likelihood of the prompt ${sum.toFixed(4)} over ${lp.tokens.length - 2} tokens`;
});
await check("structured output: chat.completions.parse with zodResponseFormat", async () => {
  const r = await client.chat.completions.parse({ model, messages, max_tokens: 48, response_format: zodResponseFormat(User, "user") });
  const user = r.choices[0].message.parsed;
  assert(User.safeParse(user).success, JSON.stringify(user));
  return JSON.stringify(user);
});
await check("json_object", async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 24, response_format: { type: "json_object" } });
  return JSON.stringify(JSON.parse(r.choices[0].message.content));
});
await check("n = 9 is a BadRequestError naming n", async () => {
  try { await client.chat.completions.create({ model, messages, n: 9 }); } catch (e) {
    assert(e instanceof OpenAI.BadRequestError && e.param === "n", `${e.constructor.name} ${e.param}`);
    return e.message;
  }
  throw new Error("no error");
});
const lc = new ChatOpenAI({ model, apiKey: "unused", configuration: { baseURL }, temperature: 0, maxTokens: 12, maxRetries: 0 });
await check("LangChain.js invoke", async () => JSON.stringify((await lc.invoke("Write a function.")).content));
await check("LangChain.js logprobs", async () => {
  const r = await new ChatOpenAI({ model, apiKey: "unused", configuration: { baseURL }, temperature: 0, maxTokens: 6,
    logprobs: true, topLogprobs: 2, maxRetries: 0 }).invoke("Write a function.");
  const values = r.response_metadata.logprobs?.content ?? [];
  assert(values.length === 6, `${values.length} values`);
  return values.map((v) => v.logprob.toFixed(3)).join(",");
});
await check("LangChain.js withStructuredOutput (json_schema)", async () => {
  const structured = new ChatOpenAI({ model, apiKey: "unused", configuration: { baseURL }, temperature: 0, maxTokens: 48,
    maxRetries: 0 }).withStructuredOutput(User, { method: "jsonSchema" });
  const user = await structured.invoke("Describe a user.");
  assert(User.safeParse(user).success, JSON.stringify(user));
  return JSON.stringify(user);
});
await check("LangChain.js n = 2 (generate)", async () => {
  const r = await new ChatOpenAI({ model, apiKey: "unused", configuration: { baseURL }, temperature: 0.9, maxTokens: 6, n: 2,
    maxRetries: 0 }).generate([[["user", "Write a function."]]]);
  assert(r.generations[0].length === 2, `${r.generations[0].length} generations`);
  return r.generations[0].map((g) => JSON.stringify(g.text)).join(" | ");
});
for (const [status, name, detail] of results) {
  console.log(`${status.padEnd(4)} ${name}: ${detail}`);
}
const failed = results.filter((r) => r[0] !== "ok").length;
console.log(`${results.length - failed} of ${results.length} checks passed`);
process.exit(failed ? 1 : 0);
