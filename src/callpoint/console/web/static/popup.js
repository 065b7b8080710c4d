// The pop-up: opened by a pop-up instruction (an item of a `screen` stream message, sent to
// this console only) or by the operator from the board. Shows the location's cameras, the
// timeline, actions and their outcome, and the operator's buttons. A lower-priority pop-up
// never replaces a higher one that is still active: it waits in a queue ("SOS overrides
// off-hook" on the screen too).
import { clock, el, getJSON, postJSON, prioClass } from "./api.js";
import { cameraTiles } from "./board.js";

const SNAPSHOT_REFRESH_MS = 1000;

export class Popups {
  constructor(app) {
    this.app = app;
    this.layer = document.getElementById("popup-layer");
    this.current = null;   // { id, priority, node, detail, actions: Map, escalation }
    this.queue = [];       // incident ids waiting for the screen
    this.badge = null;
    // Refreshing stills while a pop-up is open, once the snapshot hook answers.
    setInterval(() => this.refreshStills(), SNAPSHOT_REFRESH_MS);
  }

  refreshStills() {
    if (!this.current || !this.app.snapshots) return;
    for (const img of this.layer.querySelectorAll(".cam img")) {
      const url = new URL(img.src);
      url.searchParams.set("t", String(Date.now()));
      img.src = url.toString();
    }
  }

  get openId() { return this.current?.id ?? null; }

  // One item of a `screen` message: an instruction addressed to this console.
  onScreen(action) {
    if (action.kind === "popup") this.fromStream(action);
    else if (action.kind === "show") this.fromShow(action);
    else if (action.kind === "escalate") this.fromEscalate(action);
  }

  // A pop-up instruction for this console.
  fromStream(action) {
    this.receivedAt = performance.timeOrigin + performance.now();
    const p = action.payload || {};
    const id = p.incident_id || action.incident_id;
    if (!id) return;
    const cur = this.current;
    if (cur && cur.id !== id) {
      const curInc = this.app.incidents.get(cur.id);
      if (curInc?.active && cur.priority > action.priority) {
        if (!this.queue.includes(id)) this.queue.push(id);
        this.renderQueue();
        return;
      }
    }
    const seed = {
      id, location: p.location, device: p.device, trigger: p.event, priority: action.priority,
      cameras: p.cameras ?? [], escalation: p.escalation_level ?? 0, layout: p.layout ?? null,
    };
    this.open(id, { seed });
  }

  // A show instruction: the server chose the camera view for this console (e.g. widened
  // to 4 cameras when the call connected).
  fromShow(action) {
    const cur = this.current;
    const cameras = action.payload?.cameras ?? [];
    if (!cur || action.incident_id !== cur.id || !cameras.length) return;
    cur.view = cameras;
    this.draw();
  }

  fromEscalate(action) {
    if (this.current && this.current.id === action.incident_id) this.refresh();
  }

  // Open (or refresh) the pop-up for an incident.
  open(id, { seed = null, manual = false } = {}) {
    if (this.current && this.current.id === id) { this.refresh(seed); return; }
    if (this.current && !manual) {
      const prev = this.app.incidents.get(this.current.id);
      if (prev?.active && !this.queue.includes(prev.id)) this.queue.unshift(prev.id);
    }
    this.queue = this.queue.filter((q) => q !== id);
    const inc = this.app.incidents.get(id);
    const base = seed ?? {
      id, location: inc?.location, device: inc?.device, trigger: inc?.trigger,
      priority: inc?.priority ?? 0, cameras: this.app.locations.get(inc?.location)?.cameras ?? [],
      escalation: inc?.escalation_level ?? 0,
    };
    this.current = { id, priority: base.priority, seed: base, detail: null, actions: new Map(), msg: "" };
    this.draw();
    this.layer.hidden = false;
    // Focus the dialog so screen readers announce it and Tab starts inside it; keys still work.
    this.layer.querySelector("#popup")?.focus({ preventScroll: true });
    const shown = performance.timeOrigin + performance.now();
    const received = seed ? this.receivedAt : shown;
    // Rendered = the frame after insertion has been produced.
    requestAnimationFrame(() => {
      window.__cp.popups.push({ incident: id, received, inserted: shown, painted: performance.timeOrigin + performance.now(), seed: !!seed });
    });
    this.renderQueue();
    this.refresh();
  }

  async refresh() {
    const cur = this.current;
    if (!cur) return;
    try {
      const detail = await getJSON(`/api/v1/incidents/${encodeURIComponent(cur.id)}`);
      if (this.current !== cur) return;
      cur.detail = detail;
      cur.priority = detail.priority;
      for (const a of detail.actions) cur.actions.set(a.id, { ...cur.actions.get(a.id), ...a });
      this.app.upsert(detail, false);
      this.draw();
    } catch (err) {
      cur.msg = `could not load the incident: ${err.message}`;
      this.draw();
    }
  }

  // Live updates for the open incident.
  onIncident(inc) {
    const cur = this.current;
    if (!cur || cur.id !== inc.id) return;
    cur.detail = { ...(cur.detail || {}), ...inc };
    this.draw();
    if (!inc.active) setTimeout(() => { if (this.current === cur) this.close(); }, 4000);
  }

  // A planned or changed action, or an outcome (which carries the executor's `detail`).
  onAction(action) {
    const cur = this.current;
    if (!cur || action.incident_id !== cur.id) return;
    const prev = cur.actions.get(action.id) || {};
    cur.actions.set(action.id, { ...prev, ...action });
    this.draw();
  }

  close() {
    this.current = null;
    this.layer.replaceChildren();
    this.layer.hidden = true;
    while (this.queue.length) {
      const id = this.queue.shift();
      if (this.app.incidents.get(id)?.active) { this.open(id, { manual: true }); return; }
    }
    this.renderQueue();
  }

  renderQueue() {
    this.badge?.remove();
    this.badge = null;
    if (!this.queue.length) return;
    this.badge = el("button", { class: "chip queued", id: "popup-queue", onclick: () => this.open(this.queue[0], { manual: true }) },
      `${this.queue.length} more pop-up${this.queue.length > 1 ? "s" : ""} waiting`);
    document.body.append(this.badge);
  }

  async command(verb, body) {
    const cur = this.current;
    if (!cur) return;
    cur.msg = "";
    try {
      const res = await postJSON(`/api/v1/incidents/${encodeURIComponent(cur.id)}/${verb}`, body);
      if (res?.incident) this.app.upsert(res.incident);
      for (const a of res?.actions ?? []) this.onAction(a);
      await this.refresh();
    } catch (err) {
      cur.msg = `${verb} refused: ${err.message}`;
      this.draw();
    }
  }

  acknowledge() { return this.command("ack"); }

  draw() {
    const cur = this.current;
    if (!cur) return;
    const d = cur.detail || {};
    const s = cur.seed;
    const pc = prioClass(cur.priority);
    const state = d.state || "open";
    const level = d.escalation_level ?? s.escalation ?? 0;
    const loc = this.app.locations.get(d.location || s.location);
    const cameras = cur.view ?? (s.cameras?.length ? s.cameras : loc?.cameras ?? []);
    const alternates = loc?.alternates ?? [];
    const chain = this.app.site?.escalation ?? [];
    const focused = document.activeElement?.id;
    const note = this.layer.querySelector("#note-text")?.value ?? "";
    const node = el("section", {
      class: `popup prio-${pc}`, id: "popup", role: "dialog", "aria-modal": "true", tabindex: "-1",
      "aria-labelledby": "popup-title", "data-incident": cur.id, "data-state": state,
    },
      el("header", {},
        el("h2", { id: "popup-title" }, `${(d.trigger || s.trigger || "").replace("_", "-").toUpperCase()} · ${d.location || s.location}`),
        el("span", { class: `badge state-${state}` }, state),
        d.live ? el("span", { class: "badge live" }, "live call") : null,
        el("span", {}, `device ${d.device || s.device} · prio ${cur.priority}`),
        d.acknowledged_by ? el("span", {}, `acknowledged by ${d.acknowledged_by} at ${clock(d.acknowledged_at)}`) : null,
        el("button", { class: "close", onclick: () => this.close(), "aria-label": "Close (Esc)" }, "Close ✕")),
      level > 0 ? el("div", { class: "escalation", id: "popup-escalation" },
        `Not acknowledged in time: escalated to ${chain.slice(0, level).join(" → ") || "level " + level}`) : null,
      el("div", { class: "body" },
        el("div", {},
          el("h3", {}, `Cameras · ${loc?.description ?? ""}`),
          cameraTiles(cameras, this.app.snapshots),
          alternates.length ? el("p", { class: "muted" }, `Alternates if a camera is down: ${alternates.join(", ")}`) : null,
          this.app.snapshots ? null : el("p", { class: "muted" }, "No camera stills: these cameras have no ONVIF snapshot configured or gave none; names shown.")),
        el("div", {},
          el("h3", {}, "Timeline"),
          el("ol", { class: "timeline", id: "popup-timeline" },
            (d.timeline || []).map((t) => el("li", { "data-kind": t.kind }, el("time", {}, clock(t.at)), el("span", {}, t.text)))),
          el("h3", {}, "Actions"),
          el("ul", { class: "actions", id: "popup-actions" },
            [...cur.actions.values()].map((a) => el("li", { "data-kind": a.kind, "data-action": a.id },
              el("span", { class: `st-${a.state}` }, a.state), el("span", {}, `${a.kind} → ${a.target}`),
              a.detail || a.last_error ? el("span", { class: "muted" }, a.detail || a.last_error) : null))))),
      el("footer", {},
        el("button", { class: "ack", id: "btn-ack", disabled: state === "acknowledged" || !d.active && d.active !== undefined, onclick: () => this.acknowledge(), title: "Acknowledge (A)" }, "Acknowledge (A)"),
        el("textarea", { id: "note-text", placeholder: "Note for the timeline", "aria-label": "Note" }),
        el("button", { id: "btn-note", onclick: () => {
          const text = this.layer.querySelector("#note-text").value.trim();
          if (text) { this.layer.querySelector("#note-text").value = ""; this.command("note", { text }); }
        } }, "Add note"),
        el("button", { class: "door", id: "btn-door", onclick: () => { if (confirm(`Release the door at ${d.location || s.location}?`)) this.command("door"); } }, "Release door"),
        el("button", { class: "clear", id: "btn-clear", onclick: () => this.command("clear") }, "Clear"),
        el("span", { class: "msg", role: "alert" }, cur.msg)));
    this.layer.replaceChildren(node);
    const ta = this.layer.querySelector("#note-text");
    ta.value = note;
    if (focused) this.layer.querySelector(`#${focused}`)?.focus();
  }
}
