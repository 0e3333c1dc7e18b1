import { describe, expect, it } from "vitest";
import type { LiveEvent } from "../../live/socket";
import { mergeSteps } from "./Panels";

const output = (id: number, data: Record<string, unknown>): LiveEvent => ({
  id,
  type: "runbook.output",
  company_id: "c",
  incident_id: "i",
  at: "2026-11-30T12:00:00Z",
  data: { run_id: "run-1", ...data },
});

describe("mergeSteps", () => {
  it("adds steps as their output streams in, in phase order, ignoring other runs", () => {
    const steps = mergeSteps(
      [],
      "run-1",
      [
        output(2, { phase: "post_check", index: 0, command: "check", exit_code: 0, output_tail: "ok" }),
        output(1, { phase: "action", index: 0, command: "restart", exit_code: 0, output_tail: "restarted" }),
        output(3, { phase: "action", index: 0, run_id: "run-0", command: "old", output_tail: "stale" }),
      ],
    );
    expect(steps.map((s) => [s.phase, s.command, s.output_tail])).toEqual([
      ["action", "restart", "restarted"],
      ["post_check", "check", "ok"],
    ]);
  });

  it("keeps the incident's own record of a finished step", () => {
    const known = { phase: "action" as const, index: 0, command: "restart", output_tail: "full output", finished_at: "2026-11-30T12:00:01Z" };
    const steps = mergeSteps([known], "run-1", [output(1, { phase: "action", index: 0, output_tail: "tail" })]);
    expect(steps).toEqual([known]);
  });
});
