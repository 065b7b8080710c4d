// Sound cue for unacknowledged SOS incidents: a two-tone alarm, repeated, with a mute.
// Routine incidents make no sound. Browsers start audio only after a user gesture.
let ctx = null;
let muted = localStorage.getItem("cp.muted") === "1";

export function isMuted() { return muted; }
export function setMuted(value) { muted = value; localStorage.setItem("cp.muted", value ? "1" : "0"); }

function audio() {
  if (!ctx) { try { ctx = new AudioContext(); } catch { return null; } }
  if (ctx.state === "suspended") ctx.resume().catch(() => {});
  return ctx;
}

// Unlock audio on the first interaction with the page.
for (const ev of ["pointerdown", "keydown"]) window.addEventListener(ev, () => audio(), { once: true });

export function alarm() {
  if (muted) return false;
  const a = audio();
  if (!a || a.state !== "running") return false;
  const t0 = a.currentTime;
  [[880, 0], [660, 0.22], [880, 0.44]].forEach(([freq, at]) => {
    const osc = a.createOscillator();
    const gain = a.createGain();
    osc.type = "square";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t0 + at);
    gain.gain.exponentialRampToValueAtTime(0.18, t0 + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.2);
    osc.connect(gain).connect(a.destination);
    osc.start(t0 + at);
    osc.stop(t0 + at + 0.21);
  });
  return true;
}
