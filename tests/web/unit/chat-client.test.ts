import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChatClient } from '../../../web/src/shared/chat-client';
import { xhrFromFetch } from './xhr';

function sseResponse(body: string): Response {
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

describe('ChatClient.ask', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('passes deltas, a reset, the sources and done to the handlers in order', async () => {
    vi.stubGlobal('XMLHttpRequest', xhrFromFetch());
    vi.stubGlobal('fetch', vi.fn(async () => sseResponse(
      'event: delta\ndata: {"text":"Returns are acc"}\n\n' +
      'event: reset\ndata: {}\n\n' +
      'event: delta\ndata: {"text":"You can return items within 30 days [1]."}\n\n' +
      'event: sources\ndata: {"sources":[{"title":"Returns","url":"returns.md"}]}\n\n' +
      'event: done\ndata: {"mode":"generative","confidence":0.8,"conversation_id":"c","message_id":2,"visitor_token":"t","latency_ms":9}\n\n',
    )));
    const seen: string[] = [];
    let answer = '';
    await new ChatClient('http://parley.test', 'bot_1').ask('How long?', null, {
      onDelta: (text) => { answer += text; seen.push('delta'); },
      onReset: () => { answer = ''; seen.push('reset'); },
      onSources: (sources) => seen.push(`sources:${sources.length}`),
      onDone: (done) => seen.push(`done:${done.mode}`),
    });
    expect(seen).toEqual(['delta', 'reset', 'delta', 'sources:1', 'done:generative']);
    expect(answer).toBe('You can return items within 30 days [1].');
  });

  it('says what the server refused, and that an answer without its end was cut off', async () => {
    vi.stubGlobal('XMLHttpRequest', xhrFromFetch());
    const handlers = { onDelta: () => {}, onReset: () => {}, onSources: () => {}, onDone: () => {} };
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"error":{"code":"rate_limited","message":"too many messages"}}', { status: 429 })));
    await expect(new ChatClient('http://parley.test', 'bot_1').ask('Hi', null, handlers)).rejects.toMatchObject({ code: 'rate_limited', status: 429 });
    vi.stubGlobal('fetch', vi.fn(async () => sseResponse('event: delta\ndata: {"text":"Half"}\n\n')));
    await expect(new ChatClient('http://parley.test', 'bot_1').ask('Hi', null, handlers)).rejects.toMatchObject({ code: 'network' });
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('offline'); }));
    await expect(new ChatClient('http://parley.test', 'bot_1').ask('Hi', null, handlers)).rejects.toMatchObject({ code: 'network' });
  });
});
