// The live event stream (/ws, docs/events.md): authenticates with the first message, reconnects by
// itself with back-off, and resumes from the last event id it handed on, so a network drop, a server
// restart or a "too far behind" close (4429) loses nothing and repeats nothing.

export interface LiveEvent {
  id: number;
  type: string;
  company_id: string;
  incident_id: string | null;
  at: string;
  data: Record<string, unknown>;
}

export type LiveStatus = "connecting" | "catching-up" | "live" | "reconnecting" | "stopped";

/** The part of the browser's WebSocket this client uses (tests hand in a fake server end). */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface LiveSocketOptions {
  url: string;
  /** An access token; `fresh` after the server refused the last one. Null: signed out, stop. */
  token: (fresh: boolean) => Promise<string | null>;
  onEvent: (event: LiveEvent) => void;
  onStatus?: (status: LiveStatus) => void;
  /** Called when the server ends the session for good (signed out, role without incidents:read). */
  onRefused?: (code: number, reason: string) => void;
  createSocket?: (url: string) => SocketLike;
  /** Milliseconds before reconnect attempt n (0-based). */
  backoff?: (attempt: number) => number;
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export const UNAUTHORIZED = 4401;
export const FORBIDDEN = 4403;
export const TOO_FAR_BEHIND = 4429;

export function defaultBackoff(attempt: number): number {
  const ceiling = Math.min(30_000, 500 * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export class LiveSocket {
  /** The last event id handed to onEvent (or the server's position when we first connected). */
  lastEventId: number | null = null;
  private socket: SocketLike | null = null;
  private attempt = 0;
  private refusedInARow = 0;
  private timer: unknown = null;
  private stopped = true;
  private status: LiveStatus = "stopped";
  private readonly opts: Required<Omit<LiveSocketOptions, "onRefused">> &
    Pick<LiveSocketOptions, "onRefused">;

  constructor(options: LiveSocketOptions) {
    this.opts = {
      onStatus: () => {},
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      backoff: defaultBackoff,
      setTimer: (run, ms) => setTimeout(run, ms),
      clearTimer: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
      ...options,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect(false);
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "client stopped");
    this.setStatus("stopped");
  }

  /** Try now instead of waiting out the back-off (the browser came back online, the tab is visible). */
  reconnectNow(): void {
    if (this.stopped || this.socket) return;
    this.cancelTimer();
    void this.connect(false);
  }

  private async connect(freshToken: boolean): Promise<void> {
    this.setStatus(this.lastEventId === null ? "connecting" : "reconnecting");
    let token: string | null;
    try {
      token = await this.opts.token(freshToken);
    } catch {
      this.scheduleReconnect(false);
      return;
    }
    if (this.stopped) return;
    if (token === null) {
      this.stop();
      return;
    }
    const socket = this.opts.createSocket(this.opts.url);
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token }));
    socket.onmessage = (message) => {
      if (this.socket === socket) this.receive(socket, message.data);
    };
    socket.onerror = () => {};
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.closed(ev.code, ev.reason);
    };
  }

  private receive(socket: SocketLike, data: unknown): void {
    let message: { type?: string; [key: string]: unknown };
    try {
      message = JSON.parse(String(data));
    } catch {
      return;
    }
    switch (message.type) {
      case "ready": {
        this.attempt = 0;
        this.refusedInARow = 0;
        if (this.lastEventId === null) {
          this.lastEventId = Number(message.last_event_id ?? 0);
          this.setStatus("live");
        } else {
          socket.send(JSON.stringify({ type: "resume", after: this.lastEventId }));
          this.setStatus("catching-up");
        }
        break;
      }
      case "resumed":
        this.setStatus("live");
        break;
      case "event": {
        const event = message.event as LiveEvent;
        // A replay may overlap what was already handed on: ids only move forward.
        if (this.lastEventId !== null && event.id <= this.lastEventId) return;
        this.lastEventId = event.id;
        this.opts.onEvent(event);
        break;
      }
      default:
        // "resume" (before a 4429 close) names the id we already hold; "subscribed", "error": nothing to do.
        break;
    }
  }

  private closed(code: number, reason: string): void {
    if (this.stopped) return;
    if (code === FORBIDDEN) {
      this.stop();
      this.opts.onRefused?.(code, reason);
      return;
    }
    if (code === UNAUTHORIZED) {
      // Usually the access token expired: try once more with a fresh one; refused twice, the session is over.
      this.refusedInARow += 1;
      if (this.refusedInARow > 1) {
        this.stop();
        this.opts.onRefused?.(code, reason);
        return;
      }
      void this.connect(true);
      return;
    }
    // 4429 (too far behind), a restart or a dropped network: come back and resume.
    this.scheduleReconnect(code === TOO_FAR_BEHIND);
  }

  private scheduleReconnect(immediately: boolean): void {
    if (this.stopped) return;
    this.setStatus("reconnecting");
    const delay = immediately ? 0 : this.opts.backoff(this.attempt);
    this.attempt += 1;
    this.cancelTimer();
    this.timer = this.opts.setTimer(() => {
      this.timer = null;
      if (!this.stopped) void this.connect(false);
    }, delay);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.opts.clearTimer(this.timer);
    this.timer = null;
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.opts.onStatus(status);
  }
}

export function socketUrl(location: Location = window.location): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws`;
}
