// callpoint operator console: boot, console choice, live stream, pages, keyboard.
import { getJSON } from "./api.js";
import { Board } from "./board.js";
import { AuditLog, EventLog, Health } from "./pages.js";
import { Popups } from "./popup.js";
import { alarm, isMuted, setMuted } from "./sound.js";
import { LiveStream } from "./stream.js";

window.__cp = { popups: [], ids: [], messages: 0, ready: false };

class App {
  constructor() {
    this.site = null;
    this.locations = new Map();
    this.incidents = new Map();
    this.consoleName = null;
    this.snapshots = false;   // becomes true once /api/v1/cameras/{id}/snapshot answers 200
    this.board = new Board(this);
    this.popups = new Popups(this);
    this.events = new EventLog(this);
    this.health = new Health(this);
    this.audit = new AuditLog(this);
    this.stream = new LiveStream((k, d, id) => this.onMessage(k, d, id), (s) => this.onStreamState(s));
    window.__cp.app = this;
    window.__cp.dropStream = (ms) => this.stream.drop(ms);
  }

  async boot() {
    this.site = await getJSON("/api/v1/site");
    this.locations = new Map(this.site.locations.map((l) => [l.tag, l]));
    this.events.fill(this.site);
    this.probeSnapshots();
    this.bindUi();
    this.route();
    const wanted = new URLSearchParams(location.search).get("console") || localStorage.getItem("cp.console");
    if (wanted && this.site.consoles.some((c) => c.name === wanted)) this.useConsole(wanted);
    else this.choose();
    setInterval(() => this.soundCue(), 1500);
  }

  async probeSnapshots() {
    const cam = this.site.cameras[0];
    if (!cam) return;
    const resp = await fetch(`/api/v1/cameras/${encodeURIComponent(cam.id)}/snapshot`, { method: "GET" });
    // 502: this camera gave no still, but the service is there (others may answer).
    this.snapshots = resp.ok || resp.status === 502;
  }

  choose() {
    const dlg = document.getElementById("chooser");
    const list = document.getElementById("chooser-list");
    list.replaceChildren(...this.site.consoles.map((c) => {
      const b = document.createElement("button");
      b.dataset.console = c.name;
      b.innerHTML = "";
      b.append(c.name);
      const small = document.createElement("small");
      small.textContent = c.description || "";
      b.append(small);
      b.addEventListener("click", () => { dlg.close(); this.useConsole(c.name); });
      return b;
    }));
    if (!dlg.open) dlg.showModal();
  }

  useConsole(name) {
    this.consoleName = name;
    localStorage.setItem("cp.console", name);
    const url = new URL(location.href);
    url.searchParams.set("console", name);
    history.replaceState(null, "", url);
    document.getElementById("console-name").textContent = `console: ${name}`;
    document.title = `callpoint · ${name}`;
    this.stream.start(name);
  }

  async loadIncidents() {
    const body = await getJSON("/api/v1/incidents?active=1&limit=1000");
    const fresh = new Map();
    for (const inc of body.incidents) {
      const known = this.incidents.get(inc.id);
      fresh.set(inc.id, known && known.updated_at > inc.updated_at ? known : { ...known, ...inc });
    }
    this.incidents = fresh;
    this.board.render();
    window.__cp.ready = true;
  }

  upsert(inc, render = true) {
    const known = this.incidents.get(inc.id);
    if (known && known.updated_at > inc.updated_at) return;
    const merged = { ...known, ...inc };
    if (!inc.timeline && known?.timeline) merged.timeline = known.timeline;
    this.incidents.set(inc.id, merged);
    // A cleared incident stays known for a while, so a slower, older answer (a pop-up's
    // fetch started before the clear) cannot bring it back onto the board.
    if (!merged.active) setTimeout(() => { if (!this.incidents.get(inc.id)?.active) this.incidents.delete(inc.id); }, 60000);
    if (render) this.board.render();
  }

  onMessage(kind, data) {
    window.__cp.messages += 1;
    switch (kind) {
      case "hello": if (!data.resumed) this.loadIncidents(); break;  // else the server replays
      case "reset": this.loadIncidents(); break;      // we fell too far behind: start over
      case "changes": this.onChanges(data); break;
      case "screen": for (const action of data.actions ?? []) this.popups.onScreen(action); break;
      case "config": getJSON("/api/v1/site").then((s) => { this.site = s; this.locations = new Map(s.locations.map((l) => [l.tag, l])); this.board.render(); }); break;
      default: break;
    }
  }

  // Everything the server committed in one loop turn: decisions (an event, the incidents
  // it changed, the actions it planned) and action outcomes. The pages render once.
  onChanges({ decisions = [], outcomes = [] }) {
    const events = [];
    let incidents = false;
    for (const d of decisions) {
      if (d.event) events.push(d.event);
      for (const inc of d.incidents ?? []) {
        this.upsert(inc, false);
        this.popups.onIncident(inc);
        incidents = true;
      }
      for (const action of d.actions ?? []) this.popups.onAction(action);
    }
    for (const outcome of outcomes) this.popups.onAction(outcome);
    if (events.length) { this.events.onEvents(events); this.health.onEvents(events); }
    if (incidents) {
      this.board.render();
      if (this.health.visible()) this.health.render();
      if (!document.getElementById("page-audit").hidden) this.audit.load();
    }
  }

  onStreamState(state) {
    const chip = document.getElementById("stream-state");
    chip.textContent = state;
    chip.className = `chip ${state === "live" ? "on" : "off"}`;
  }

  soundCue() {
    const sos = [...this.incidents.values()].some((i) => i.priority >= 90 && (i.state === "open" || i.state === "raised"));
    if (sos) alarm();
  }

  route() {
    const page = (location.hash || "#board").slice(1);
    for (const p of document.querySelectorAll(".page")) p.hidden = p.id !== `page-${page}`;
    for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === page);
    if (page === "events") this.events.load();
    if (page === "health") this.health.load();
    if (page === "audit") this.audit.load();
  }

  bindUi() {
    window.addEventListener("hashchange", () => this.route());
    document.getElementById("console-name").addEventListener("click", () => this.choose());
    const mute = document.getElementById("mute");
    const showMute = () => { mute.textContent = isMuted() ? "sound muted" : "sound on"; mute.setAttribute("aria-pressed", String(isMuted())); };
    mute.addEventListener("click", () => { setMuted(!isMuted()); showMute(); });
    showMute();
    document.addEventListener("keydown", (ev) => {
      const t = ev.target;
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) {
        if (ev.key === "Escape") t.blur();
        return;
      }
      const key = ev.key.toLowerCase();
      if (key === "a") {
        ev.preventDefault();
        if (this.popups.openId) this.popups.acknowledge();
        else if (this.board.selected) { this.popups.open(this.board.selected, { manual: true }); this.popups.acknowledge(); }
      } else if (key === "n" || key === "j") {
        ev.preventDefault();
        const id = this.board.next(1);
        if (id && this.popups.openId) this.popups.open(id, { manual: true });
      } else if (key === "p" || key === "k") {
        ev.preventDefault();
        this.board.next(-1);
      } else if (key === "enter" && this.board.selected && !this.popups.openId) {
        ev.preventDefault();
        this.popups.open(this.board.selected, { manual: true });
      } else if (key === "escape" && this.popups.openId) {
        ev.preventDefault();
        this.popups.close();
      } else if (key === "m") {
        setMuted(!isMuted()); showMute();
      } else if (["1", "2", "3", "4"].includes(key)) {
        location.hash = ["#board", "#events", "#health", "#audit"][Number(key) - 1];
      }
    });
  }
}

new App().boot().catch((err) => {
  console.error(err);
  document.getElementById("stream-state").textContent = `error: ${err.message}`;
});
