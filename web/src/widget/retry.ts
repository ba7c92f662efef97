// When to try again after the network failed: doubling waits from 1 s up to 30 s, and at once when the browser says
// it is back online.
export function retryDelayMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** attempt);
}

// Resolves after the attempt's delay, spread over half to one and a half times it (visitors refused together by a
// busy server do not all come back together), or as soon as the browser fires `online`, whichever comes first.
export function waitToRetry(attempt: number, target: Window = window): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      target.removeEventListener('online', done);
      resolve();
    };
    const timer = setTimeout(done, retryDelayMs(attempt) * (0.5 + Math.random()));
    target.addEventListener('online', done);
  });
}
