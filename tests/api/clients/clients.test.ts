// Parley's OpenAI-compatible API as third-party clients use it: the official `openai` package and the Vercel AI
// SDK's OpenAI-compatible provider, against the real `parley` binary (demo workspace, model "bot:<demo bot id>").
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startParley, type Parley } from '../../web/e2e/support';

let parley: Parley;
let model: string;
const question = 'How much does shipping cost?';

beforeAll(async () => {
  parley = await startParley(true);
  const response = await fetch(`${parley.url}/api/v1/bots`, { headers: { Authorization: `Bearer ${parley.apiKey}` } });
  const { bots } = (await response.json()) as { bots: { id: string }[] };
  model = `bot:${bots[0].id}`;
});

afterAll(async () => {
  await parley?.stop();
});

describe('openai npm client', () => {
  it('lists the bots as models', async () => {
    const client = new OpenAI({ baseURL: `${parley.url}/v1`, apiKey: parley.apiKey });
    const ids: string[] = [];
    for await (const entry of client.models.list()) ids.push(entry.id);
    expect(ids).toContain(model);
  });

  it('gets the same answer streamed and not streamed', async () => {
    const client = new OpenAI({ baseURL: `${parley.url}/v1`, apiKey: parley.apiKey });
    const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content: question }] });
    const answer = completion.choices[0].message.content ?? '';
    expect(answer).toMatch(/shipping/i);
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBeTypeOf('number');

    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: question }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = '';
    let usageSeen = false;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usageSeen = true;
    }
    expect(streamed).toBe(answer);
    expect(usageSeen).toBe(true);
  });

  it('raises the API error for a bad key and an unknown model', async () => {
    const stranger = new OpenAI({ baseURL: `${parley.url}/v1`, apiKey: 'pk_not_a_key' });
    await expect(stranger.chat.completions.create({ model, messages: [{ role: 'user', content: question }] })).rejects.toMatchObject({
      status: 401,
    });
    const client = new OpenAI({ baseURL: `${parley.url}/v1`, apiKey: parley.apiKey });
    await expect(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 404,
    });
  });
});

describe('Vercel AI SDK, OpenAI-compatible provider', () => {
  it('generates and streams text', async () => {
    const provider = createOpenAICompatible({ name: 'parley', baseURL: `${parley.url}/v1`, apiKey: parley.apiKey });
    const generated = await generateText({ model: provider(model), prompt: question });
    expect(generated.text).toMatch(/shipping/i);

    const result = streamText({ model: provider(model), prompt: question });
    let streamed = '';
    for await (const piece of result.textStream) streamed += piece;
    expect(streamed).toBe(generated.text);
  });
});
