import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import type { NotificationPreferences } from "../api/types";
import { preferenceErrorsOf, preferencesDraftOf, preferencesOf } from "./preferencesForm";

const DEFAULTS: NotificationPreferences = {
  channels: {
    low: ["in_app"],
    medium: ["in_app"],
    high: ["in_app", "email"],
    critical: ["in_app", "email", "slack"],
  },
  quiet_hours: null,
  email: null,
};

describe("notification preferences form", () => {
  it("sends back what it was given when nothing changed", () => {
    expect(preferencesOf(preferencesDraftOf(DEFAULTS))).toEqual(DEFAULTS);
  });

  it("always keeps in-app first and adds the channels switched on", () => {
    const draft = preferencesDraftOf(DEFAULTS);
    draft.channels.low.slack = true;
    draft.channels.critical.email = false;
    const sent = preferencesOf(draft);
    expect(sent.channels?.low).toEqual(["in_app", "slack"]);
    expect(sent.channels?.critical).toEqual(["in_app", "slack"]);
  });

  it("offers quiet hours in the browser's zone until set, and sends them only when on", () => {
    const draft = preferencesDraftOf(DEFAULTS, "Europe/Berlin");
    expect(draft.quiet).toEqual({ start: "22:00", end: "07:00", timezone: "Europe/Berlin" });
    expect(preferencesOf(draft).quiet_hours).toBeNull();
    draft.quietOn = true;
    draft.quiet = { start: "23:30", end: "06:00", timezone: " America/New_York " };
    expect(preferencesOf(draft).quiet_hours).toEqual({ start: "23:30", end: "06:00", timezone: "America/New_York" });
  });

  it("reads saved quiet hours and an own email address, and sends an emptied address as none", () => {
    const saved = { ...DEFAULTS, quiet_hours: { start: "21:00", end: "08:00", timezone: "Asia/Tokyo" }, email: "me@x.io" };
    const draft = preferencesDraftOf(saved, "Europe/Berlin");
    expect(draft.quietOn).toBe(true);
    expect(draft.quiet.timezone).toBe("Asia/Tokyo");
    expect(preferencesOf(draft)).toEqual(saved);
    draft.email = "  ";
    expect(preferencesOf(draft).email).toBeNull();
  });

  it("puts the API's reasons beside the quiet-hours field they concern", () => {
    const refusal = new ApiError(422, "invalid", [
      { loc: ["body", "quiet_hours", "timezone"], msg: "Value error, unknown time zone 'Mars/Base'" },
      { loc: ["body", "quiet_hours"], msg: "Value error, start and end are the same: quiet hours would be empty" },
      { loc: ["body", "email"], msg: "Value error, is not an email address" },
      { loc: ["body", "channels", "low", 1], msg: "Input should be 'in_app', 'email' or 'slack'" },
    ]);
    expect(preferenceErrorsOf(refusal)).toEqual({
      fields: {
        "quiet_hours.timezone": ["unknown time zone 'Mars/Base'"],
        quiet_hours: ["start and end are the same: quiet hours would be empty"],
        email: ["is not an email address"],
        channels: ["low.1: Input should be 'in_app', 'email' or 'slack'"],
      },
      form: [],
    });
  });
});
