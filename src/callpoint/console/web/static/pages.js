// Event log (search, filters, CSV), device health, audit log.
import { age, el, getJSON, stamp } from "./api.js";

const EVENT_TYPES = ["off_hook", "call_connected", "call_ended", "sos", "sos_cleared", "tamper", "fault",
  "fault_cleared", "button_press", "door_open", "door_forced", "input_active", "input_inactive", "motion", "test"];
const MAX_LIVE_ROWS = 500;

function eventRow(e) {
  return el("tr", { "data-event": e.id, "data-type": e.type },
    el("td", {}, stamp(e.received_at)), el("td", {}, stamp(e.device_time)), el("td", {}, e.device),
    el("td", {}, e.location), el("td", {}, e.type + (e.suppressed ? " (duplicate)" : "")), el("td", {}, e.priority),
    el("td", {}, e.source), el("td", { class: "attrs" }, JSON.stringify(e.attributes)));
}

export class EventLog {
  constructor(app) {
    this.app = app;
    this.form = document.getElementById("event-filters");
    this.rows = document.getElementById("event-rows");
    this.link = document.getElementById("csv-link");
    this.filtered = false;
    this.form.addEventListener("submit", (ev) => { ev.preventDefault(); this.load(); });
    this.form.addEventListener("change", () => this.updateLink());
  }

  fill(site) {
    const sel = (name, values) => {
      const s = this.form.elements[name];
      s.replaceChildren(el("option", { value: "" }, "any"), ...values.map((v) => el("option", { value: v }, v)));
    };
    sel("device", site.devices.map((d) => d.id));
    sel("location", site.locations.map((l) => l.tag));
    sel("type", EVENT_TYPES);
  }

  params() {
    const q = new URLSearchParams();
    const f = this.form.elements;
    for (const name of ["q", "device", "location", "type"]) if (f[name].value) q.set(name, f[name].value);
    for (const name of ["since", "until"]) if (f[name].value) q.set(name, new Date(f[name].value).toISOString());
    return q;
  }

  updateLink() { this.link.href = "/api/v1/events.csv?" + this.params().toString(); }

  async load() {
    const q = this.params();
    this.filtered = [...q.keys()].length > 0;
    this.updateLink();
    q.set("limit", "500");
    const body = await getJSON("/api/v1/events?" + q.toString());
    this.rows.replaceChildren(...body.events.map(eventRow));
  }

  // Live tail when no filter is applied; `events` oldest first, the newest goes on top.
  onEvents(events) {
    if (this.filtered) return;
    this.rows.prepend(...events.slice(-MAX_LIVE_ROWS).map(eventRow).reverse());
    while (this.rows.children.length > MAX_LIVE_ROWS) this.rows.lastElementChild.remove();
  }
}

export class Health {
  constructor(app) {
    this.app = app;
    this.rows = document.getElementById("health-rows");
    this.last = new Map();   // device id -> last event
    setInterval(() => { if (this.visible()) this.render(); }, 5000);  // ages
  }

  async load() {
    const devices = this.app.site?.devices ?? [];
    await Promise.all(devices.map(async (d) => {
      const body = await getJSON(`/api/v1/events?device=${encodeURIComponent(d.id)}&limit=1`);
      if (body.events.length) this.last.set(d.id, body.events[0]);
    }));
    this.render();
  }

  visible() { return !this.rows.closest(".page").hidden; }

  onEvents(events) {
    for (const e of events) this.last.set(e.device, e);
    if (this.visible()) this.render();
  }

  render() {
    const faults = new Map();
    for (const inc of this.app.incidents.values()) {
      if (inc.active && (inc.trigger === "fault" || inc.trigger === "tamper")) faults.set(inc.device, inc.trigger);
    }
    this.rows.replaceChildren(...(this.app.site?.devices ?? []).map((d) => {
      const e = this.last.get(d.id);
      const fault = faults.get(d.id);
      const offset = e ? Date.parse(e.received_at) - Date.parse(e.device_time) : null;
      const state = fault ? ["st-bad", fault] : e ? ["st-ok", "reporting"] : ["st-unknown", "never heard"];
      return el("tr", { "data-device": d.id },
        el("td", {}, d.id), el("td", {}, d.kind), el("td", {}, d.location),
        el("td", { class: state[0] }, state[1]),
        el("td", {}, e ? `${e.type}` : "—"),
        el("td", {}, e ? `${age(e.received_at)} ago` : "—"),
        el("td", {}, offset === null ? "—" : `${offset >= 0 ? "+" : ""}${(offset / 1000).toFixed(2)} s`),
        el("td", { class: "st-unknown" }, "needs supervision layer"));
    }));
  }
}

export class AuditLog {
  constructor(app) {
    this.rows = document.getElementById("audit-rows");
    document.getElementById("audit-refresh").addEventListener("click", () => this.load());
  }

  async load() {
    const body = await getJSON("/api/v1/audit?limit=300");
    this.rows.replaceChildren(...body.audit.map((r) => el("tr", { "data-action": r.action, "data-actor": r.actor },
      el("td", {}, stamp(r.at)), el("td", {}, r.actor), el("td", {}, r.action), el("td", {}, r.subject),
      el("td", { class: "attrs" }, JSON.stringify(r.detail)))));
  }
}
