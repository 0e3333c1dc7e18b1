import { describe, expect, it } from "vitest";
import { LiveSocket, type LiveEvent, type LiveStatus, type SocketLike } from "./socket";

/** The server end of one connection: what the client sent, and ways to answer it. */
class FakeConnection implements SocketLike {
  sent: Record<string, unknown>[] = [];
  closedByClient: number | null = null;
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000): void {
    this.closedByClient = code;
  }
  open(): void {
    this.onopen?.({});
  }
  answer(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  event(id: number): void {
    this.answer({ type: "event", event: { id, type: "incident.updated", company_id: "c", incident_id: "i", at: "", data: {} } });
  }
  drop(code: number, reason = ""): void {
    this.onclose?.({ code, reason });
  }
}

function harness(tokens: (string | null)[] = ["t1", "t2", "t3", "t4"]) {
  const connections: FakeConnection[] = [];
  const events: number[] = [];
  const statuses: LiveStatus[] = [];
  const timers: { run: () => void; ms: number }[] = [];
  const tokenCalls: boolean[] = [];
  const refused: number[] = [];
  const client = new LiveSocket({
    url: "ws://test/ws",
    token: async (fresh) => {
      tokenCalls.push(fresh);
      return tokens.shift() ?? null;
    },
    onEvent: (e: LiveEvent) => events.push(e.id),
    onStatus: (s) => statuses.push(s),
    onRefused: (code) => refused.push(code),
    createSocket: () => {
      const connection = new FakeConnection();
      connections.push(connection);
      return connection;
    },
    backoff: (attempt) => 1000 * (attempt + 1),
    setTimer: (run, ms) => timers.push({ run, ms }),
    clearTimer: () => {},
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  const last = () => connections[connections.length - 1]!;
  return { client, connections, events, statuses, timers, tokenCalls, refused, settle, last };
}

describe("LiveSocket", () => {
  it("authenticates with the first message and starts from the server's position", async () => {
    const h = harness();
    h.client.start();
    await h.settle();
    h.last().open();
    expect(h.last().sent).toEqual([{ type: "auth", token: "t1" }]);
    h.last().answer({ type: "ready", last_event_id: 41 });
    h.last().event(42);
    expect(h.events).toEqual([42]);
    expect(h.statuses.at(-1)).toBe("live");
  });

  it("after a dropped connection reconnects with back-off and resumes after the last event", async () => {
    const h = harness();
    h.client.start();
    await h.settle();
    h.last().open();
    h.last().answer({ type: "ready", last_event_id: 10 });
    h.last().event(11);
    h.last().event(12);
    h.last().drop(1006);
    expect(h.statuses.at(-1)).toBe("reconnecting");
    expect(h.timers.map((t) => t.ms)).toEqual([1000]);

    h.timers.shift()!.run();
    await h.settle();
    const second = h.last();
    expect(h.connections).toHaveLength(2);
    second.open();
    second.answer({ type: "ready", last_event_id: 20 });
    expect(second.sent).toEqual([
      { type: "auth", token: "t2" },
      { type: "resume", after: 12 },
    ]);
    // The replay overlaps what was handed on already: nothing twice, nothing skipped.
    second.event(12);
    second.event(13);
    second.answer({ type: "resumed", through: 20 });
    second.event(21);
    expect(h.events).toEqual([11, 12, 13, 21]);
    expect(h.statuses.at(-1)).toBe("live");
  });

  it("backs off longer on each failed attempt and starts over once connected", async () => {
    const h = harness(["a", "b", "c", "d"]);
    h.client.start();
    await h.settle();
    h.last().drop(1006);
    h.timers.shift()!.run();
    await h.settle();
    h.last().drop(1006);
    h.timers.shift()!.run();
    await h.settle();
    h.last().open();
    h.last().answer({ type: "ready", last_event_id: 0 });
    h.last().drop(1012);
    expect(h.timers.map((t) => t.ms)).toEqual([1000]);
  });

  it("too far behind (4429) reconnects at once and resumes from the id the server named", async () => {
    const h = harness();
    h.client.start();
    await h.settle();
    h.last().open();
    h.last().answer({ type: "ready", last_event_id: 5 });
    h.last().event(6);
    h.last().answer({ type: "resume", after: 6 });
    h.last().drop(4429, "too far behind; resume");
    expect(h.timers.map((t) => t.ms)).toEqual([0]);
    h.timers.shift()!.run();
    await h.settle();
    h.last().open();
    h.last().answer({ type: "ready", last_event_id: 900 });
    expect(h.last().sent.at(-1)).toEqual({ type: "resume", after: 6 });
  });

  it("an expired token (4401) reconnects once with a fresh token", async () => {
    const h = harness();
    h.client.start();
    await h.settle();
    h.last().open();
    h.last().answer({ type: "ready", last_event_id: 3 });
    h.last().drop(4401, "access token expired");
    await h.settle();
    expect(h.tokenCalls).toEqual([false, true]);
    h.last().open();
    expect(h.last().sent[0]).toEqual({ type: "auth", token: "t2" });
    h.last().answer({ type: "ready", last_event_id: 3 });
    expect(h.refused).toEqual([]);
  });

  it("refused twice in a row, stops and reports the session over", async () => {
    const h = harness();
    h.client.start();
    await h.settle();
    h.last().open();
    h.last().drop(4401);
    await h.settle();
    h.last().open();
    h.last().drop(4401);
    await h.settle();
    expect(h.refused).toEqual([4401]);
    expect(h.connections).toHaveLength(2);
    expect(h.statuses.at(-1)).toBe("stopped");
  });

  it("signed out (no token) stops without connecting", async () => {
    const h = harness([null]);
    h.client.start();
    await h.settle();
    expect(h.connections).toHaveLength(0);
    expect(h.statuses.at(-1)).toBe("stopped");
  });

  it("stop closes the socket and a later close schedules nothing", async () => {
    const h = harness();
    h.client.start();
    await h.settle();
    const first = h.last();
    first.open();
    h.client.stop();
    expect(first.closedByClient).toBe(1000);
    first.drop(1000);
    expect(h.timers).toHaveLength(0);
  });
});
