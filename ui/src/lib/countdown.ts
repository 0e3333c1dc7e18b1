// SLA clocks as a person reads them: time left, overdue, paused, met, or breached.
import type { SlaView } from "../api/types";

export type ClockState =
  | { kind: "running"; remainingMs: number; urgent: boolean }
  | { kind: "overdue"; overdueMs: number }
  | { kind: "breached" }
  | { kind: "met"; at: string }
  | { kind: "paused"; reason: string }
  | { kind: "stopped" }
  | { kind: "none" };

/** Under this much time left, a running clock is shown as urgent. */
export const URGENT_MS = 15 * 60 * 1000;

export function clockState(
  deadline: string | null | undefined,
  breached: boolean,
  metAt: string | null | undefined,
  paused: boolean,
  pauseReason: string,
  nowMs: number,
  running = true,
): ClockState {
  if (metAt) return { kind: "met", at: metAt };
  if (breached) return { kind: "breached" };
  if (paused) return { kind: "paused", reason: pauseReason };
  // Stopped without being met (an incident resolved by a runbook is never acknowledged): no countdown.
  // The API says so for a closed incident: not running, no deadline.
  if (!running) return { kind: "stopped" };
  if (!deadline) return { kind: "none" };
  const left = Date.parse(deadline) - nowMs;
  if (Number.isNaN(left)) return { kind: "none" };
  // Past the deadline but the breach not yet recorded by the workflow: overdue, not breached.
  if (left <= 0) return { kind: "overdue", overdueMs: -left };
  return { kind: "running", remainingMs: left, urgent: left <= URGENT_MS };
}

export function slaClocks(sla: SlaView | null | undefined, nowMs: number): { response: ClockState; resolution: ClockState } {
  if (!sla) return { response: { kind: "none" }, resolution: { kind: "none" } };
  return {
    response: clockState(
      sla.response_deadline,
      sla.response_breached,
      sla.responded_at,
      sla.paused,
      sla.pause_reason,
      nowMs,
      sla.clocks.response?.running ?? true,
    ),
    resolution: clockState(
      sla.resolution_deadline,
      sla.resolution_breached,
      sla.resolved_at,
      sla.paused,
      sla.pause_reason,
      nowMs,
      sla.clocks.resolution?.running ?? true,
    ),
  };
}

/** "1d 2h", "2h 05m", "4m 09s", "12s". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

export function describeClock(state: ClockState): string {
  switch (state.kind) {
    case "running":
      return `${formatDuration(state.remainingMs)} left`;
    case "overdue":
      return `overdue by ${formatDuration(state.overdueMs)}`;
    case "breached":
      return "breached";
    case "met":
      return "met";
    case "paused":
      return state.reason ? `paused (${state.reason})` : "paused";
    case "stopped":
      return "stopped: resolved first";
    case "none":
      return "no target";
  }
}
