// What the widget remembers across page loads, per bot, in the host site's localStorage: the visitor token of the
// current conversation, whether the visitor has already opened or closed the chat (then it never pops up by itself
// again), and whether they have answered the lead form. Storage may be unavailable (private modes, sandboxed frames): then nothing is remembered.
export interface VisitorState {
  token: string | null;
  seen: boolean;
  // The visitor has left their details (or said "not now" before the chat): the form is not offered by itself again.
  lead?: boolean;
}

const key = (botId: string) => `parley:${botId}`;

export function loadState(botId: string): VisitorState {
  try {
    const raw = window.localStorage.getItem(key(botId));
    const parsed = raw ? JSON.parse(raw) : null;
    return { token: typeof parsed?.token === 'string' ? parsed.token : null, seen: parsed?.seen === true, lead: parsed?.lead === true };
  } catch {
    return { token: null, seen: false };
  }
}

export function saveState(botId: string, state: VisitorState): void {
  try {
    window.localStorage.setItem(key(botId), JSON.stringify(state));
  } catch {
    // storage full or disabled: the conversation lasts for this page only
  }
}

// The last configuration the server sent, so that on the next page the launcher appears at once (then the fresh one
// replaces it).
const configKey = (botId: string) => `parley:${botId}:config`;

export function loadCachedConfig<T>(botId: string): T | null {
  try {
    const raw = window.localStorage.getItem(configKey(botId));
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export function saveCachedConfig(botId: string, config: unknown): void {
  try {
    window.localStorage.setItem(configKey(botId), JSON.stringify(config));
  } catch {
    // storage full or disabled: the next page waits for the server
  }
}
