// A timeline entry as a person reads it: a headline and, where there is one, the text that goes with it
// (an alert's message, a decision's reasoning, a note). Unknown actions still read, from their name.
import type { components } from "../api/schema.gen";

type TimelineEntry = components["schemas"]["TimelineEntry"];
type Data = Record<string, unknown>;
export interface EntryText {
  title: string;
  detail: string;
}

const DECISIONS: Record<string, string> = {
  EXECUTE_RUNBOOK: "run a runbook automatically",
  APPROVE_REQUIRED: "run a runbook after approval",
  ESCALATE_TO_TECH: "hand to a technician",
};

const str = (value: unknown): string => (typeof value === "string" ? value : "");
const words = (value: string): string => value.replaceAll("_", " ").replaceAll(".", " ");
const sentence = (value: string): string => value.charAt(0).toUpperCase() + value.slice(1);
const part = (data: Data, key: "before" | "after"): Data => (data[key] ?? {}) as Data;

function audit(action: string, data: Data, name: (id: string) => string): EntryText {
  const before = part(data, "before");
  const after = part(data, "after");
  const run = str(after.runbook_name) || "the runbook";
  switch (action) {
    case "incident.opened":
      return { title: "Incident opened", detail: "" };
    case "incident.status_changed":
      return { title: `Status ${words(str(before.status))} → ${words(str(after.status))}`, detail: "" };
    case "incident.resolved":
      return { title: `Resolved: ${words(str(after.resolution))}`, detail: "" };
    case "incident.resolve":
      return { title: "Resolved by hand", detail: str(after.note) };
    case "incident.reopened":
      return { title: "Reopened", detail: "" };
    case "incident.acknowledged":
      return { title: "Acknowledged", detail: "" };
    case "assignment":
      return { title: after.assigned_to ? `Assigned to ${name(str(after.assigned_to))}` : "Unassigned", detail: "" };
    case "incident.escalated":
      return { title: `Escalated to level ${String(after.level ?? "?")}`, detail: str(after.reason) };
    case "incident.series_recovered":
      return { title: "Recovered", detail: ((after.series as string[] | undefined) ?? []).join(", ") };
    case "incident.series_flapping":
      return { title: "Flapping: held open until quiet", detail: ((after.series as string[] | undefined) ?? []).join(", ") };
    case "incident.awaiting_confirmation":
      return { title: "Every series recovered: a technician must confirm", detail: "" };
    case "decision.made":
      return { title: "Decision recorded", detail: "" };
    case "approval.requested":
      return { title: `Approval requested to run ${run}`, detail: "" };
    case "approval.decided": {
      const approval = (after.approval ?? {}) as Data;
      return { title: `${after.status === "rejected" ? "Rejected" : "Approved"}: ${run}`, detail: str(approval.comment) };
    }
    case "approval.timed_out":
      return { title: `Approval timed out: ${run} not run`, detail: "" };
    case "runbook.started":
      return { title: `Runbook started: ${run}`, detail: "" };
    case "runbook.finished":
      return { title: `Runbook ${words(str(after.status))}: ${run}`, detail: str(after.error) };
    case "sla.warning":
      return { title: `SLA ${str(after.clock)} clock at ${String(after.percent)} %`, detail: "" };
    case "sla.breached":
      return { title: `SLA ${str(after.clock)} target breached`, detail: "" };
    case "sla.paused":
      return { title: "SLA clocks paused", detail: str(after.reason) };
    case "sla.resumed":
      return { title: "SLA clocks resumed", detail: "" };
    default:
      return { title: sentence(words(action)), detail: str(after.text) || str(after.reason) };
  }
}

export function describeTimelineEntry(entry: TimelineEntry, name: (id: string) => string): EntryText {
  const data = (entry.data ?? {}) as Data;
  switch (entry.kind) {
    case "alert":
      return {
        title: `Alert ${words(entry.action)}: ${str(data.signature)} on ${str(data.asset_name)} (${str(data.severity)}, ${str(data.tool_source)})`,
        detail: str(data.message),
      };
    case "alert_group":
      return {
        title: `${String(data.count)} alerts ${words(entry.action)}: ${str(data.signature)} (${str(data.tool_source)})`,
        detail: "",
      };
    case "decision":
      return {
        title: `Decided to ${DECISIONS[entry.action] ?? words(entry.action)} (${str(data.provider)}, ${Math.round(Number(data.confidence ?? 0) * 100)} % confident)`,
        detail: str(data.reasoning),
      };
    case "runbook_run":
      return { title: `Runbook run ${words(entry.action)}`, detail: str(data.error) };
    case "notification":
      return {
        title: `Notified ${String(data.users ?? 0)} ${data.users === 1 ? "person" : "people"}: ${str(data.title)}`,
        detail: "",
      };
    case "note":
      return { title: "Note", detail: str(part(data, "after").text) };
    default:
      return audit(entry.action, data, name);
  }
}
