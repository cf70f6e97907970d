// The verdict's sound, made with Web Audio (no sound file to download): a bright rising
// chime for OK, two soft mid tones for "already accepted", a low buzz for a refusal, so a
// shopkeeper busy with the goods knows without looking.
let audio = null;

function context() {
  audio ??= globalThis.AudioContext ? new AudioContext() : null;
  if (audio?.state === 'suspended') audio.resume().catch(() => {});
  return audio;
}

/** Call from a user gesture once (a tap), so the browser lets the till play sounds. */
export function unlock() {
  context();
}

function tone(ctx, at, frequency, seconds, type = 'sine', gain = 0.25) {
  const osc = ctx.createOscillator();
  const level = ctx.createGain();
  osc.type = type;
  osc.frequency.value = frequency;
  level.gain.setValueAtTime(gain, at);
  level.gain.exponentialRampToValueAtTime(0.001, at + seconds);
  osc.connect(level).connect(ctx.destination);
  osc.start(at);
  osc.stop(at + seconds);
}

export function play(verdict) {
  const ctx = context();
  if (!ctx) return;
  const t = ctx.currentTime + 0.01;
  if (verdict === 'ok') {
    tone(ctx, t, 880, 0.15);
    tone(ctx, t + 0.12, 1320, 0.25);
  } else if (verdict === 'replay') {
    tone(ctx, t, 660, 0.12, 'sine', 0.15);
    tone(ctx, t + 0.18, 660, 0.12, 'sine', 0.15);
  } else {
    tone(ctx, t, 160, 0.45, 'square', 0.2);
  }
}
