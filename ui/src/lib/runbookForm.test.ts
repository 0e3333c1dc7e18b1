import { describe, expect, it } from "vitest";
import { bodyOf, emptyDraft, parseParameters, percent } from "./runbookForm";

describe("runbook draft", () => {
  it("sends one entry per non-blank line and null for empty checks", () => {
    const draft = {
      ...emptyDraft("c1"),
      name: "Restart nginx",
      signatures: "web_*\n\n  http_5xx  \n",
      actions: "systemctl restart nginx\n",
      pre_check: "  ",
      timeout_seconds: "60",
    };
    const body = bodyOf(draft, true);
    expect(body.signatures).toEqual(["web_*", "http_5xx"]);
    expect(body.actions).toEqual(["systemctl restart nginx"]);
    expect(body.pre_check).toBeNull();
    expect(body.timeout_seconds).toBe(60);
    expect(body.company_id).toBe("c1");
  });

  it("leaves company_id out of a PUT and sends a global runbook's as null", () => {
    expect("company_id" in bodyOf(emptyDraft("c1"), false)).toBe(false);
    expect(bodyOf(emptyDraft(""), true).company_id).toBeNull();
  });

  it("passes a timeout that is not a number through, for the API to name", () => {
    expect(bodyOf({ ...emptyDraft(""), timeout_seconds: "soon" }, true).timeout_seconds).toBe("soon");
  });

  it("reads parameters as name, source and the rest of the line as pattern", () => {
    expect(parseParameters("svc label:service ^[a-z ]+$\n")).toEqual([
      { name: "svc", source: "label:service", pattern: "^[a-z ]+$" },
    ]);
  });

  it("formats rates", () => {
    expect(percent(null)).toBe("—");
    expect(percent(0.834)).toBe("83%");
  });
});
