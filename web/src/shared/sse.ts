// An incremental parser of Server-Sent Events (the text/event-stream format): bytes arrive in arbitrary pieces, and
// each complete event ("event: name\ndata: ...\n\n") comes out once.
export interface ServerEvent {
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';

  // Feeds a decoded piece of the stream; returns the events it completed.
  push(text: string): ServerEvent[] {
    this.buffer += text.replace(/\r\n?/g, '\n');
    const events: ServerEvent[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue; // a comment (keep-alive)
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) events.push({ event, data: data.join('\n') });
    }
    return events;
  }
}
