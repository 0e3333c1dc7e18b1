// A company's policy as the settings form edits it: numbers as typed text, SLA targets per severity in
// minutes, business hours on or off. The API checks every value; the form only shapes the body.
import type { CompanyPolicy } from "../api/pageTypes";

export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];
type SlaTarget = NonNullable<CompanyPolicy["sla_overrides"]>[string];

export const NUMBER_FIELDS = [
  "window_minutes",
  "min_alerts",
  "approval_timeout_minutes",
  "flap_threshold",
  "flap_window_minutes",
  "max_runs_per_asset_hour",
  "daily_token_budget",
] as const;
type NumberField = (typeof NUMBER_FIELDS)[number];

export interface PolicyDraft {
  numbers: Record<NumberField, string>;
  risk_tolerance: CompanyPolicy["risk_tolerance"];
  automation: boolean;
  sla_tracking: boolean;
  auto_assignment: boolean;
  assignment_strategy: CompanyPolicy["assignment_strategy"];
  aggregation_key: CompanyPolicy["aggregation_key"];
  on_recovery: CompanyPolicy["on_recovery"];
  /** Per severity, minutes as typed; "" leaves the MSP's default. */
  sla: Record<Severity, { response: string; resolution: string }>;
  business_hours_on: boolean;
  business_hours: { start: string; end: string; timezone: string; weekdays: number[]; holidays: string };
}

function minutesText(minutes: number | null | undefined, seconds: number | null | undefined): string {
  if (minutes) return String(minutes);
  if (seconds) return String(seconds / 60);
  return "";
}

export function policyDraftOf(policy: CompanyPolicy): PolicyDraft {
  const numbers = {} as Record<NumberField, string>;
  for (const key of NUMBER_FIELDS) numbers[key] = String(policy[key] ?? "");
  const sla = {} as PolicyDraft["sla"];
  for (const severity of SEVERITIES) {
    const target = policy.sla_overrides?.[severity];
    sla[severity] = {
      response: minutesText(target?.response_minutes, target?.response_seconds),
      resolution: minutesText(target?.resolution_minutes, target?.resolution_seconds),
    };
  }
  const hours = policy.business_hours;
  return {
    numbers,
    risk_tolerance: policy.risk_tolerance ?? "low",
    automation: policy.automation ?? true,
    sla_tracking: policy.sla_tracking ?? true,
    auto_assignment: policy.auto_assignment ?? true,
    assignment_strategy: policy.assignment_strategy ?? "round_robin",
    aggregation_key: policy.aggregation_key ?? "asset|signature",
    on_recovery: policy.on_recovery ?? "auto_resolve",
    sla,
    business_hours_on: Boolean(hours),
    business_hours: {
      start: hours?.start ?? "09:00",
      end: hours?.end ?? "17:00",
      timezone: hours?.timezone ?? "UTC",
      weekdays: hours?.weekdays ?? [1, 2, 3, 4, 5],
      holidays: (hours?.holidays ?? []).join("\n"),
    },
  };
}

/** Text that is a whole number becomes one; anything else is sent as typed for the API to refuse. */
function numberOrText(text: string): number {
  const trimmed = text.trim();
  return (/^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed) as number;
}

function slaTarget(entry: { response: string; resolution: string }, before: SlaTarget | undefined): SlaTarget | null {
  const unchanged =
    before &&
    entry.response === minutesText(before.response_minutes, before.response_seconds) &&
    entry.resolution === minutesText(before.resolution_minutes, before.resolution_seconds);
  if (unchanged) return before; // a target set in seconds stays in seconds
  if (!entry.response.trim() && !entry.resolution.trim()) return null;
  return {
    response_minutes: entry.response.trim() ? numberOrText(entry.response) : null,
    resolution_minutes: entry.resolution.trim() ? numberOrText(entry.resolution) : null,
  };
}

/** The whole policy for PUT /api/companies/{id} (`policy` replaces it whole). */
export function policyOf(draft: PolicyDraft, before: CompanyPolicy): CompanyPolicy {
  const sla: Record<string, SlaTarget> = {};
  for (const severity of SEVERITIES) {
    const target = slaTarget(draft.sla[severity], before.sla_overrides?.[severity]);
    if (target) sla[severity] = target;
  }
  const policy: CompanyPolicy = {
    ...before,
    risk_tolerance: draft.risk_tolerance,
    automation: draft.automation,
    sla_tracking: draft.sla_tracking,
    auto_assignment: draft.auto_assignment,
    assignment_strategy: draft.assignment_strategy,
    aggregation_key: draft.aggregation_key,
    on_recovery: draft.on_recovery,
    sla_overrides: sla,
    business_hours: draft.business_hours_on
      ? {
          start: draft.business_hours.start,
          end: draft.business_hours.end,
          timezone: draft.business_hours.timezone.trim(),
          weekdays: [...draft.business_hours.weekdays].sort((a, b) => a - b),
          holidays: draft.business_hours.holidays
            .split(/[\s,]+/)
            .map((d) => d.trim())
            .filter(Boolean),
        }
      : null,
  };
  for (const key of NUMBER_FIELDS) policy[key] = numberOrText(draft.numbers[key]);
  return policy;
}
