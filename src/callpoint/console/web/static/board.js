// The incident board: one tile per active incident, most urgent first, oldest first within
// a priority. SOS tiles are red and pulse until acknowledged; routine tiles stay quiet.
import { age, el, prioClass } from "./api.js";

export function sortIncidents(list) {
  return [...list].sort((a, b) => b.priority - a.priority || Date.parse(a.opened_at) - Date.parse(b.opened_at));
}

export function cameraTiles(cameras, snapshots) {
  return el("div", { class: "cams" }, cameras.map((cam) => {
    const box = el("div", { class: "cam", "data-camera": cam, title: cam }, el("span", {}, cam));
    if (snapshots) {
      const img = el("img", { alt: `snapshot of ${cam}`, src: `/api/v1/cameras/${encodeURIComponent(cam)}/snapshot?t=${Date.now()}` });
      img.onerror = () => img.remove();
      box.prepend(img);
    }
    return box;
  }));
}

export class Board {
  constructor(app) {
    this.app = app;
    this.root = document.getElementById("board");
    this.empty = document.getElementById("board-empty");
    this.count = document.getElementById("board-count");
    this.selected = null;
    setInterval(() => this.tickAges(), 1000);
  }

  ordered() { return sortIncidents([...this.app.incidents.values()].filter((i) => i.active)); }

  render() {
    const list = this.ordered();
    if (this.selected && !list.some((i) => i.id === this.selected)) this.selected = null;
    this.root.replaceChildren(...list.map((inc) => this.tile(inc)));
    this.empty.hidden = list.length > 0;
    this.count.textContent = String(list.length);
  }

  tile(inc) {
    const pc = prioClass(inc.priority);
    const loc = this.app.locations.get(inc.location);
    const unacked = inc.state === "open" || inc.state === "raised";
    const node = el("article", {
      class: `tile prio-${pc} state-${inc.state}${unacked ? " unacked" : ""}${inc.id === this.selected ? " selected" : ""}`,
      tabindex: "0",
      "data-incident": inc.id,
      "data-priority": inc.priority,
      "aria-label": `${inc.trigger} at ${inc.location}, ${inc.state}`,
      onclick: () => { this.select(inc.id); this.app.popups.open(inc.id, { manual: true }); },
    },
      el("div", { class: "row" },
        el("span", { class: `badge ${pc}` }, inc.trigger.replace("_", "-")),
        el("span", { class: `badge state-${inc.state}` }, inc.state),
        inc.live ? el("span", { class: "badge live" }, "live call") : null,
        inc.escalation_level > 0 ? el("span", { class: "badge elevated" }, `escalated L${inc.escalation_level}`) : null,
        el("span", { class: "age", "data-opened": inc.opened_at }, age(inc.opened_at))),
      el("div", { class: "loc" }, inc.location),
      loc?.description ? el("div", { class: "desc" }, loc.description) : null,
      el("div", { class: "row muted" },
        el("span", {}, `device ${inc.device}`),
        el("span", {}, `prio ${inc.priority}`),
        el("span", {}, inc.consoles.length ? `on ${inc.consoles.join(", ")}` : "no screen yet (withheld)"),
        inc.acknowledged_by ? el("span", {}, `ack ${inc.acknowledged_by}`) : null),
      cameraTiles(loc?.cameras ?? [], this.app.snapshots));
    return node;
  }

  tickAges() {
    const now = Date.now();
    for (const span of this.root.querySelectorAll(".age")) span.textContent = age(span.dataset.opened, now);
  }

  select(id) {
    this.selected = id;
    for (const t of this.root.querySelectorAll(".tile")) t.classList.toggle("selected", t.dataset.incident === id);
    this.root.querySelector(`.tile[data-incident="${id}"]`)?.focus({ preventScroll: false });
  }

  next(step = 1) {
    const list = this.ordered();
    if (!list.length) return null;
    const at = list.findIndex((i) => i.id === this.selected);
    const next = list[(at + step + list.length) % list.length];
    this.select(next.id);
    return next.id;
  }
}
