import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../web/src/shared/sse';

describe('SseParser', () => {
  it('emits each event once it is complete, across arbitrary chunk boundaries', () => {
    const parser = new SseParser();
    const stream = 'event: delta\ndata: {"text":"Hi"}\n\nevent: done\ndata: {"mode":"faq"}\n\n';
    const events = [];
    for (const char of stream) events.push(...parser.push(char));
    expect(events).toEqual([
      { event: 'delta', data: '{"text":"Hi"}' },
      { event: 'done', data: '{"mode":"faq"}' },
    ]);
  });

  it('joins multi-line data, skips comments and accepts CRLF', () => {
    const parser = new SseParser();
    expect(parser.push(': keep-alive\r\n\r\nevent: delta\r\ndata: a\r\ndata: b\r\n')).toEqual([]);
    expect(parser.push('\r\n')).toEqual([{ event: 'delta', data: 'a\nb' }]);
  });

  it('defaults the event name to "message"', () => {
    expect(new SseParser().push('data: x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
