// The one way the UI talks to the API: bearer token, one refresh on 401, errors with the API's reason.
import type { SessionStore } from "../auth/session";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The API's `detail` as sent (a list of {loc, msg} on a 422), for messages beside their fields. */
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface ValidationItem {
  loc?: (string | number)[];
  msg?: string;
}

/** The API's `detail`, as a sentence a person can act on. */
export function reasonOf(status: number, body: unknown): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return (detail as ValidationItem[])
      .map((item) => {
        const field = (item.loc ?? []).filter((part) => part !== "body" && part !== "query").join(".");
        return field ? `${field}: ${item.msg ?? "invalid"}` : (item.msg ?? "invalid");
      })
      .join("; ");
  }
  if (status === 0) return "the server cannot be reached; check your connection";
  return `the server answered HTTP ${status}`;
}

export type Query = Record<string, string | number | boolean | null | undefined | string[]>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, String(one));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export class ApiClient {
  constructor(
    readonly session: SessionStore,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", withQuery(path, query));
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("PUT", path, body);
  }

  patch<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("PATCH", path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let token = this.session.tokens()?.access_token ?? null;
    let response = await this.send(method, path, body, token);
    if (response.status === 401 && token !== null) {
      token = (await this.session.refresh(token))?.access_token ?? null;
      if (token === null) throw new ApiError(401, "your session has ended; sign in again");
      response = await this.send(method, path, body, token);
    }
    if (response.status === 204) return undefined as T;
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, reasonOf(response.status, payload), (payload as { detail?: unknown } | null)?.detail);
    return payload as T;
  }

  private async send(method: string, path: string, body: unknown, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      return await this.fetchImpl(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, reasonOf(0, null));
    }
  }
}
