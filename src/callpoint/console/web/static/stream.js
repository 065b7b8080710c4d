// The live stream (SSE). Remembers the last message id and resumes from it after a drop,
// so nothing published while the connection was down is lost.
export class LiveStream {
  constructor(onMessage, onState) {
    this.onMessage = onMessage;   // (kind, data, id) => void
    this.onState = onState;       // ("live" | "reconnecting" | "connecting") => void
    this.console = null;
    this.lastId = null;
    this.es = null;
    this.retryMs = 500;
    this.timer = null;
  }

  start(consoleName) {
    this.console = consoleName;
    this.lastId = null;
    this.boot = null;  // the server process the ids belong to
    this.open();
  }

  url() {
    const q = new URLSearchParams();
    if (this.console) q.set("console", this.console);
    if (this.lastId !== null) q.set("last_event_id", String(this.lastId));
    if (this.boot !== null) q.set("boot", this.boot);
    return "/api/v1/stream?" + q.toString();
  }

  open() {
    this.close();
    this.onState(this.lastId === null ? "connecting" : "reconnecting");
    const es = new EventSource(this.url(), { withCredentials: true });
    this.es = es;
    // changes: decisions and outcomes of one server loop turn; screen: this console's
    // pop-up/show/escalate instructions; config: a reload; reset: reload from the API.
    const kinds = ["hello", "changes", "screen", "config", "reset"];
    for (const kind of kinds) {
      es.addEventListener(kind, (e) => {
        if (es !== this.es) return;
        if (e.lastEventId) this.lastId = Number(e.lastEventId);
        let data = null;
        try { data = JSON.parse(e.data); } catch { return; }
        if (kind === "hello") {
          this.retryMs = 500;
          this.onState("live");
          // A restarted server numbers from 1 again and says so with a new boot id: what
          // we hold may be stale, so reload rather than trust the numbers.
          if (this.boot !== null && data.boot !== this.boot) this.lastId = null;
          if (this.lastId !== null && data.seq < this.lastId) this.lastId = null;
          this.boot = data.boot;
          // Resuming: the server replays what we missed after our last id.
          data.resumed = Boolean(data.resumed) && this.lastId !== null;
        } else if (e.lastEventId) {
          window.__cp.ids.push(Number(e.lastEventId));
        }
        this.onMessage(kind, data, this.lastId);
      });
    }
    es.onerror = () => {
      if (es !== this.es) return;
      this.onState("reconnecting");
      // CONNECTING: the browser retries by itself with Last-Event-ID. CLOSED (an HTTP
      // error, e.g. the server restarting): we retry, resuming from the last id we saw.
      if (es.readyState === EventSource.CLOSED) this.later();
    };
  }

  later() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 10000);
  }

  close() {
    clearTimeout(this.timer);
    if (this.es) { this.es.close(); this.es = null; }
  }

  // For tests and the operator's "reconnect": drop the connection, come back after ms.
  drop(ms) {
    this.close();
    this.onState("reconnecting");
    this.timer = setTimeout(() => this.open(), ms);
  }
}
