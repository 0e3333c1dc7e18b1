import { describe, expect, it } from "vitest";
import type { CompanyPolicy } from "../api/pageTypes";
import { policyDraftOf, policyOf } from "./policyForm";

const POLICY = {
  window_minutes: 15,
  min_alerts: 1,
  approval_timeout_minutes: 30,
  flap_threshold: 5,
  flap_window_minutes: 60,
  max_runs_per_asset_hour: 3,
  daily_token_budget: 500000,
  risk_tolerance: "low",
  automation: true,
  sla_tracking: true,
  auto_assignment: false,
  assignment_strategy: "round_robin",
  aggregation_key: "asset|signature",
  on_recovery: "auto_resolve",
  sla_overrides: { critical: { response_seconds: 90, resolution_minutes: 60 } },
  business_hours: null,
} as CompanyPolicy;

describe("policy form", () => {
  it("sends back what it was given when nothing changed", () => {
    expect(policyOf(policyDraftOf(POLICY), POLICY)).toEqual(POLICY);
  });

  it("sends the SLA tracking and auto-assignment switches as set", () => {
    const draft = policyDraftOf(POLICY);
    draft.sla_tracking = false;
    draft.auto_assignment = true;
    const sent = policyOf(draft, POLICY);
    expect([sent.sla_tracking, sent.auto_assignment]).toEqual([false, true]);
  });

  it("writes a changed SLA target in minutes and drops one cleared", () => {
    const draft = policyDraftOf(POLICY);
    draft.sla.high = { response: "10", resolution: "" };
    draft.sla.critical = { response: "", resolution: "" };
    expect(policyOf(draft, POLICY).sla_overrides).toEqual({
      high: { response_minutes: 10, resolution_minutes: null },
    });
  });

  it("turns business hours on with sorted weekdays and holidays from a list", () => {
    const draft = policyDraftOf(POLICY);
    draft.business_hours_on = true;
    draft.business_hours = { start: "08:00", end: "18:00", timezone: " Europe/Berlin ", weekdays: [5, 1, 3], holidays: "2030-12-25, 2030-12-26\n" };
    expect(policyOf(draft, POLICY).business_hours).toEqual({
      start: "08:00",
      end: "18:00",
      timezone: "Europe/Berlin",
      weekdays: [1, 3, 5],
      holidays: ["2030-12-25", "2030-12-26"],
    });
  });

  it("sends numbers as numbers and anything else as typed, for the API to name", () => {
    const draft = policyDraftOf(POLICY);
    draft.numbers.window_minutes = " 20 ";
    draft.numbers.min_alerts = "two";
    const policy = policyOf(draft, POLICY);
    expect(policy.window_minutes).toBe(20);
    expect(policy.min_alerts).toBe("two");
  });
});
