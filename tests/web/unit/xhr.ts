// A stand-in XMLHttpRequest for the chat client under jsdom: it answers from the test's stubbed fetch, the
// response's text arriving as one progress event and then load (the browser sends progress as bytes arrive).
export function xhrFromFetch(): typeof XMLHttpRequest {
  class FetchBackedRequest {
    status = 0;
    statusText = '';
    responseText = '';
    onprogress: (() => void) | null = null;
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    private method = 'GET';
    private url = '';
    private readonly headers: Record<string, string> = {};
    open(method: string, url: string) {
      this.method = method;
      this.url = url;
    }
    setRequestHeader(name: string, value: string) {
      this.headers[name] = value;
    }
    send(body: string) {
      void (async () => {
        try {
          const response = await fetch(this.url, { method: this.method, headers: this.headers, body });
          this.status = response.status;
          this.statusText = response.statusText;
          this.responseText = await response.text();
        } catch {
          this.onerror?.();
          return;
        }
        this.onprogress?.();
        this.onload?.();
      })();
    }
  }
  return FetchBackedRequest as unknown as typeof XMLHttpRequest;
}
