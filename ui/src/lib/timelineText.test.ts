import { describe, expect, it } from "vitest";
import { describeTimelineEntry } from "./timelineText";

const name = (id: string) => (id === "u-1" ? "Tess Tech" : id);
const entry = (kind: string, action: string, data: Record<string, unknown>) =>
  ({ at: "2026-12-01T05:00:00Z", kind, action, actor: null, data }) as never;

describe("describeTimelineEntry", () => {
  it("shows a note's text, kept under the audit entry's `after`", () => {
    expect(describeTimelineEntry(entry("note", "note.added", { before: null, after: { text: "rebooted by hand" } }), name)).toEqual({
      title: "Note",
      detail: "rebooted by hand",
    });
  });

  it("reads an alert with its signature, asset and message", () => {
    const text = describeTimelineEntry(
      entry("alert", "firing", { signature: "disk_full", asset_name: "db-1", severity: "high", tool_source: "datadog", message: "Disk at 95%" }),
      name,
    );
    expect(text).toEqual({ title: "Alert firing: disk_full on db-1 (high, datadog)", detail: "Disk at 95%" });
  });

  it("says what was decided, by whom and how sure, with the reasoning below", () => {
    const text = describeTimelineEntry(
      entry("decision", "APPROVE_REQUIRED", { provider: "rules", confidence: 0.75, reasoning: "medium risk" }),
      name,
    );
    expect(text).toEqual({ title: "Decided to run a runbook after approval (rules, 75 % confident)", detail: "medium risk" });
  });

  it("names people and states instead of ids and raw actions", () => {
    expect(describeTimelineEntry(entry("audit", "assignment", { before: { assigned_to: null }, after: { assigned_to: "u-1" } }), name).title).toBe(
      "Assigned to Tess Tech",
    );
    expect(
      describeTimelineEntry(entry("audit", "incident.status_changed", { before: { status: "new" }, after: { status: "in_progress" } }), name).title,
    ).toBe("Status new → in progress");
    expect(
      describeTimelineEntry(
        entry("audit", "approval.decided", { after: { status: "rejected", runbook_name: "Restart nginx", approval: { comment: "not now" } } }),
        name,
      ),
    ).toEqual({ title: "Rejected: Restart nginx", detail: "not now" });
    expect(describeTimelineEntry(entry("notification", "notification", { users: 1, title: "Assigned to you" }), name).title).toBe(
      "Notified 1 person: Assigned to you",
    );
  });

  it("still reads an action it does not know", () => {
    expect(describeTimelineEntry(entry("audit", "incident.something_new", { after: {} }), name).title).toBe("Incident something new");
  });
});
