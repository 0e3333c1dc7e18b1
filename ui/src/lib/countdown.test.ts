import { describe, expect, it } from "vitest";
import { clockState, describeClock, formatDuration, slaClocks, URGENT_MS } from "./countdown";

const NOW = Date.parse("2026-11-30T12:00:00Z");

describe("clockState", () => {
  it("counts down to the deadline and turns urgent near it", () => {
    expect(clockState("2026-11-30T13:00:00Z", false, null, false, "", NOW)).toEqual({
      kind: "running",
      remainingMs: 3_600_000,
      urgent: false,
    });
    const close = clockState(new Date(NOW + URGENT_MS).toISOString(), false, null, false, "", NOW);
    expect(close).toMatchObject({ kind: "running", urgent: true });
  });

  it("past the deadline without a recorded breach is overdue, not breached", () => {
    expect(clockState("2026-11-30T11:58:30Z", false, null, false, "", NOW)).toEqual({ kind: "overdue", overdueMs: 90_000 });
  });

  it("a met clock stays met, even after its deadline", () => {
    expect(clockState("2026-11-30T11:00:00Z", false, "2026-11-30T10:30:00Z", false, "", NOW)).toEqual({
      kind: "met",
      at: "2026-11-30T10:30:00Z",
    });
  });

  it("breached wins over paused, paused over a running deadline", () => {
    expect(clockState("2026-11-30T13:00:00Z", true, null, true, "maintenance", NOW).kind).toBe("breached");
    expect(clockState("2026-11-30T13:00:00Z", false, null, true, "maintenance", NOW)).toEqual({
      kind: "paused",
      reason: "maintenance",
    });
  });

  it("a clock stopped without being met counts nothing down", () => {
    expect(clockState("2026-11-30T13:00:00Z", false, null, false, "", NOW, false)).toEqual({ kind: "stopped" });
    expect(describeClock({ kind: "stopped" })).toBe("stopped: resolved first");
  });

  it("no deadline or a garbled one shows no target", () => {
    expect(clockState(null, false, null, false, "", NOW).kind).toBe("none");
    expect(clockState("not a date", false, null, false, "", NOW).kind).toBe("none");
  });
});

describe("slaClocks", () => {
  it("reads both clocks of an incident's SLA, and none before it has one", () => {
    expect(slaClocks(null, NOW).response.kind).toBe("none");
    const clocks = slaClocks(
      {
        response_deadline: null,
        resolution_deadline: "2026-11-30T12:10:00Z",
        response_breached: false,
        resolution_breached: false,
        responded_at: "2026-11-30T11:50:00Z",
        resolved_at: null,
        paused: false,
        pause_reason: "",
        clocks: { paused: false, pause_reason: "", response: { running: false }, resolution: { running: true } } as never,
      },
      NOW,
    );
    expect(clocks.response.kind).toBe("met");
    expect(clocks.resolution).toEqual({ kind: "running", remainingMs: 600_000, urgent: true });
  });
});

describe("formatDuration and describeClock", () => {
  it("formats with the two largest units", () => {
    expect(formatDuration(12_000)).toBe("12s");
    expect(formatDuration(249_000)).toBe("4m 09s");
    expect(formatDuration(7_500_000)).toBe("2h 05m");
    expect(formatDuration(93_600_000)).toBe("1d 2h");
    expect(formatDuration(-5)).toBe("0s");
  });

  it("says what the clock means", () => {
    expect(describeClock({ kind: "running", remainingMs: 60_000, urgent: true })).toBe("1m 00s left");
    expect(describeClock({ kind: "overdue", overdueMs: 5_000 })).toBe("overdue by 5s");
    expect(describeClock({ kind: "paused", reason: "" })).toBe("paused");
  });
});
