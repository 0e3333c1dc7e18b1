import { describe, expect, it } from "vitest";
import type { Me } from "../api/types";
import type { LiveEvent } from "./socket";
import { toastFor } from "./useLiveToasts";

const me = { id: "u1", role: "technician" } as Me;
const event = (type: string, data: Record<string, unknown>): LiveEvent => ({
  id: 1,
  type,
  company_id: "c",
  incident_id: "i1",
  at: "2026-11-30T12:00:00Z",
  data,
});

describe("toastFor", () => {
  it("tells me when someone else assigns an incident to me", () => {
    const assigned = event("assignment", { actor: "u2", incident: { title: "Disk full", assigned_to: "u1" } });
    expect(toastFor(assigned, me)).toEqual({ text: "Assigned to you: Disk full", link: "/incidents/i1", tone: "info" });
  });

  it("stays quiet about my own assignment and other people's", () => {
    expect(toastFor(event("assignment", { actor: "u1", incident: { assigned_to: "u1" } }), me)).toBeNull();
    expect(toastFor(event("assignment", { actor: "u2", incident: { assigned_to: "u3" } }), me)).toBeNull();
  });

  it("asks for my approval only when my role may give it", () => {
    const asks = (role: string) =>
      event("approval.requested", { incident: { title: "Restart" }, after: { approval: { required_role: role } } });
    expect(toastFor(asks("technician"), me)?.text).toBe("Approval requested: Restart");
    expect(toastFor(asks("company_admin"), me)).toBeNull();
    expect(toastFor(asks("company_admin"), { ...me, role: "company_admin" })?.tone).toBe("warning");
  });

  it("ignores every other event", () => {
    expect(toastFor(event("incident.updated", { incident: { assigned_to: "u1" } }), me)).toBeNull();
  });
});
