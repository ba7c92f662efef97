// How an agent hears of a new waiting visitor while the admin app is open: a short chime (Web Audio, no sound file)
// and a desktop notification when they allowed them. Both are choices kept in this browser.
const SOUND_KEY = 'parley:inbox-sound';

export function soundOn(): boolean {
  try {
    return localStorage.getItem(SOUND_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function setSoundOn(on: boolean): void {
  try {
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
  } catch {
    // storage unavailable: the choice lasts for this page
  }
}

let audio: AudioContext | null = null;

// Two short rising tones. Browsers let a page play sound once the person has interacted with it (signing in does).
export function playChime(): void {
  if (typeof AudioContext === 'undefined') return;
  audio ??= new AudioContext();
  void audio.resume().catch(() => undefined);
  const start = audio.currentTime;
  for (const [offset, frequency] of [[0, 660], [0.16, 880]] as const) {
    const tone = audio.createOscillator();
    const volume = audio.createGain();
    tone.frequency.value = frequency;
    volume.gain.setValueAtTime(0.0001, start + offset);
    volume.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
    volume.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.14);
    tone.connect(volume).connect(audio.destination);
    tone.start(start + offset);
    tone.stop(start + offset + 0.15);
  }
}

export type NotificationState = 'on' | 'off' | 'blocked' | 'unsupported';

export function notificationState(): NotificationState {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.permission === 'granted' ? 'on' : Notification.permission === 'denied' ? 'blocked' : 'off';
}

export async function askForNotifications(): Promise<NotificationState> {
  if (typeof Notification === 'undefined') return 'unsupported';
  await Notification.requestPermission();
  return notificationState();
}

// A desktop notification that opens the conversation when clicked; one per conversation (`tag`).
export function showNotification(title: string, body: string, conversationHash: string): void {
  if (notificationState() !== 'on') return;
  const note = new Notification(title, { body, tag: conversationHash });
  note.onclick = () => {
    window.focus();
    location.hash = conversationHash;
    note.close();
  };
}
