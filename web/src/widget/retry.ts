// When to try again after the network failed: doubling waits from 1 s up to 30 s, and at once when the browser says
// it is back online.
export function retryDelayMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
}

// How long to wait before asking again after the server refused for load (503) or pace (429): its Retry-After when it
// gave one and the back-off above otherwise, whichever is longer, spread over half to one and a half times that, so
// that the visitors refused in the same instant do not all come back in the same instant.
export function busyDelayMs(attempt: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  return Math.round(Math.max(retryAfterMs ?? 0, retryDelayMs(attempt)) * (0.5 + random()));
}

// Resolves after the attempt's delay, or as soon as the browser fires `online`, whichever comes first.
export function waitToRetry(attempt: number, target: Window = window): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      target.removeEventListener('online', done);
      resolve();
    };
    const timer = setTimeout(done, retryDelayMs(attempt));
    target.addEventListener('online', done);
  });
}
