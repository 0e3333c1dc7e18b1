import { beforeEach, describe, expect, it } from "vitest";
import { SessionStore } from "../auth/session";
import { ApiClient, ApiError, reasonOf, withQuery } from "./client";

/** The API at the network edge: answers by path, and records what it was sent. */
function fakeApi(routes: Record<string, (auth: string | null) => [number, unknown]>) {
  const calls: { path: string; auth: string | null }[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = String(input);
    const auth = (init?.headers as Record<string, string> | undefined)?.Authorization ?? null;
    calls.push({ path, auth });
    const route = routes[path.split("?")[0]!];
    const [status, body] = route ? route(auth) : [404, { detail: "Not Found" }];
    return new Response(status === 204 ? null : JSON.stringify(body), { status });
  }) as typeof fetch;
  return { calls, fetchImpl };
}

const pair = (n: number) => ({ access_token: `a${n}`, refresh_token: `r${n}`, token_type: "bearer", user: {} });

describe("ApiClient", () => {
  beforeEach(() => localStorage.clear());

  it("refreshes once on a 401 and retries with the new access token", async () => {
    let refreshed = 0;
    const api = fakeApi({
      "/api/users/me": (auth) => (auth === "Bearer a2" ? [200, { id: "u1" }] : [401, { detail: "expired" }]),
      "/api/auth/refresh": (auth) => {
        refreshed += 1;
        return auth === "Bearer r1" ? [200, pair(2)] : [401, { detail: "spent" }];
      },
    });
    const session = new SessionStore(localStorage, api.fetchImpl);
    session.save(pair(1));
    const client = new ApiClient(session, api.fetchImpl);
    const [a, b] = await Promise.all([client.get("/api/users/me"), client.get("/api/users/me")]);
    expect(a).toEqual({ id: "u1" });
    expect(b).toEqual({ id: "u1" });
    // Two requests failed at once; the single-use refresh token was spent once.
    expect(refreshed).toBe(1);
    expect(session.tokens()).toEqual({ access_token: "a2", refresh_token: "r2" });
  });

  it("a refused refresh ends the session", async () => {
    const api = fakeApi({
      "/api/users/me": () => [401, { detail: "expired" }],
      "/api/auth/refresh": () => [401, { detail: "refresh token already used" }],
    });
    const session = new SessionStore(localStorage, api.fetchImpl);
    session.save(pair(1));
    const ended: unknown[] = [];
    session.subscribe((tokens) => ended.push(tokens));
    await expect(new ApiClient(session, api.fetchImpl).get("/api/users/me")).rejects.toMatchObject({ status: 401 });
    expect(session.tokens()).toBeNull();
    expect(ended).toEqual([null]);
  });

  it("a refresh another tab already did is reused, not repeated", async () => {
    const api = fakeApi({ "/api/auth/refresh": () => [500, {}] });
    const session = new SessionStore(localStorage, api.fetchImpl);
    session.save(pair(5));
    expect(await session.refresh("a4")).toEqual({ access_token: "a5", refresh_token: "r5" });
    expect(api.calls).toEqual([]);
  });

  it("errors carry the API's reason", async () => {
    const api = fakeApi({ "/api/incidents": () => [422, { detail: [{ loc: ["query", "sort"], msg: "bad sort" }] }] });
    const client = new ApiClient(new SessionStore(localStorage, api.fetchImpl), api.fetchImpl);
    const error = await client.get("/api/incidents", { sort: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe("sort: bad sort");
  });
});

describe("helpers", () => {
  it("withQuery leaves out empty values and repeats lists", () => {
    expect(withQuery("/x", { a: "", b: null, c: 1, d: ["p", "q"] })).toBe("/x?c=1&d=p&d=q");
    expect(withQuery("/x", {})).toBe("/x");
  });

  it("reasonOf says what to do when the server cannot be reached", () => {
    expect(reasonOf(0, null)).toMatch(/cannot be reached/);
    expect(reasonOf(502, "<html>")).toBe("the server answered HTTP 502");
  });
});
