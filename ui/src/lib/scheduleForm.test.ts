import { describe, expect, it } from "vitest";
import { emptySchedule, newLayer, scheduleBody, scheduleProblems, type ScheduleDraft } from "./scheduleForm";

function valid(): ScheduleDraft {
  const draft = emptySchedule("Europe/Berlin", "2030-01-07");
  draft.name = "Network";
  draft.layers[0]!.participants = ["usr_a", "usr_b"];
  return draft;
}

describe("schedule editor checks", () => {
  it("find nothing wrong with a named schedule whose layer has people", () => {
    expect(scheduleProblems(valid())).toEqual({});
  });

  it("name each problem where it is", () => {
    const draft = valid();
    draft.name = " ";
    draft.layers.push({ ...newLayer(1, "2030-01-07"), rotation: "custom", shift_hours: "0" });
    expect(scheduleProblems(draft)).toEqual({
      name: "give the schedule a name",
      "layers.1.participants": "add at least one person",
      "layers.1.shift_hours": "a custom rotation needs a shift length of 1 to 672 hours",
    });
  });

  it("refuse an override that ends before it starts and a swap with oneself", () => {
    const draft = valid();
    draft.overrides = [
      { user_id: "usr_a", starts_at: "2030-02-01T10:00", ends_at: "2030-02-01T09:00", replaces_user_id: "usr_a" },
    ];
    expect(scheduleProblems(draft)).toEqual({
      "overrides.0.ends_at": "must be after the start",
      "overrides.0.replaces_user_id": "a swap stands in for someone else",
    });
  });

  it("refuse someone listed twice in one rotation", () => {
    const draft = valid();
    draft.layers[0]!.participants = ["usr_a", "usr_a"];
    expect(scheduleProblems(draft)["layers.0.participants"]).toMatch(/one place/);
  });
});

describe("schedule body", () => {
  it("sends shift hours only for custom rotations, instants for overrides and null for a full override", () => {
    const draft = valid();
    draft.layers[0]!.shift_hours = "12";
    draft.overrides = [{ user_id: "usr_c", starts_at: "2030-02-01T08:00", ends_at: "2030-02-02T08:00", replaces_user_id: "" }];
    const body = scheduleBody(draft, "co_1");
    expect(body.company_id).toBe("co_1");
    expect(body.layers[0]!.shift_hours).toBeNull();
    expect(body.overrides![0]!.replaces_user_id).toBeNull();
    expect(body.overrides![0]!.starts_at).toBe(new Date(2030, 1, 1, 8, 0).toISOString());
    expect("company_id" in scheduleBody(draft, null)).toBe(false);
  });
});
