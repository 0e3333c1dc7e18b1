// The signed-in session's tokens, shared by the tabs of this browser (localStorage) so that a reload
// keeps the session. Refresh tokens are single use: a second use signs the session out everywhere, so
// refreshing is serialised across tabs (Web Locks) and a tab first checks whether another refreshed.
import type { TokenPair } from "../api/types";

const KEY = "aw.session";
const LOCK = "aw.session.refresh";

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

type Listener = (tokens: Tokens | null) => void;

export class SessionStore {
  private listeners = new Set<Listener>();
  private inFlight: Promise<Tokens | null> | null = null;

  constructor(
    private readonly storage: Storage = window.localStorage,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {
    window.addEventListener("storage", (e) => {
      if (e.key === KEY) this.emit(this.tokens());
    });
  }

  tokens(): Tokens | null {
    const raw = this.storage.getItem(KEY);
    if (!raw) return null;
    try {
      const parsed = JSON.parse(raw) as Tokens;
      return parsed.access_token && parsed.refresh_token ? parsed : null;
    } catch {
      return null;
    }
  }

  save(pair: TokenPair | Tokens): void {
    const tokens = { access_token: pair.access_token, refresh_token: pair.refresh_token };
    this.storage.setItem(KEY, JSON.stringify(tokens));
    this.emit(tokens);
  }

  clear(): void {
    this.storage.removeItem(KEY);
    this.emit(null);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** New tokens for the ones that failed (`stale`); null when the session is over. */
  refresh(stale: string | null): Promise<Tokens | null> {
    this.inFlight ??= this.refreshOnce(stale).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async refreshOnce(stale: string | null): Promise<Tokens | null> {
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    const run = async () => {
      const current = this.tokens();
      if (!current) return null;
      // Another tab refreshed while this one waited: use its tokens.
      if (stale !== null && current.access_token !== stale) return current;
      const response = await this.fetchImpl("/api/auth/refresh", {
        method: "POST",
        headers: { Authorization: `Bearer ${current.refresh_token}` },
      });
      if (response.status === 401) {
        this.clear();
        return null;
      }
      if (!response.ok) throw new Error(`could not refresh the session (HTTP ${response.status})`);
      const pair = (await response.json()) as TokenPair;
      this.save(pair);
      return this.tokens();
    };
    return locks ? locks.request(LOCK, run) : run();
  }

  private emit(tokens: Tokens | null): void {
    for (const listener of this.listeners) listener(tokens);
  }
}
