// Notification preferences as the profile form edits them: per severity, whether email and Slack are on
// (in-app always is), quiet hours on or off, an email address of one's own or none. The API checks every
// value; this only shapes the body and puts its 422 reasons beside the fields.
import type { Channel, NotificationPreferences } from "../api/types";
import { fieldErrorsOf, type FieldErrors } from "./fieldErrors";

export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];
/** The channels a user may switch; in-app is always on. */
export const OPTIONAL_CHANNELS = ["email", "slack"] as const;
export type OptionalChannel = (typeof OPTIONAL_CHANNELS)[number];

export interface PreferencesDraft {
  channels: Record<Severity, Record<OptionalChannel, boolean>>;
  quietOn: boolean;
  quiet: { start: string; end: string; timezone: string };
  /** As typed; "" means the account's own address. */
  email: string;
}

export function preferencesDraftOf(prefs: NotificationPreferences, browserZone = "UTC"): PreferencesDraft {
  const channels = {} as PreferencesDraft["channels"];
  for (const severity of SEVERITIES) {
    // The API always answers with every severity; the schema marks `channels` optional only as defaulted.
    const chosen: Channel[] = prefs.channels?.[severity] ?? [];
    channels[severity] = { email: chosen.includes("email"), slack: chosen.includes("slack") };
  }
  const quiet = prefs.quiet_hours;
  return {
    channels,
    quietOn: Boolean(quiet),
    quiet: { start: quiet?.start ?? "22:00", end: quiet?.end ?? "07:00", timezone: quiet?.timezone ?? browserZone },
    email: prefs.email ?? "",
  };
}

/** The whole setting for PUT /api/users/me/notification-preferences. */
export function preferencesOf(draft: PreferencesDraft): NotificationPreferences {
  const channels: Record<string, Channel[]> = {};
  for (const severity of SEVERITIES) {
    channels[severity] = ["in_app", ...OPTIONAL_CHANNELS.filter((channel) => draft.channels[severity][channel])];
  }
  const email = draft.email.trim();
  return {
    channels,
    quiet_hours: draft.quietOn
      ? { start: draft.quiet.start, end: draft.quiet.end, timezone: draft.quiet.timezone.trim() }
      : null,
    email: email || null,
  };
}

const QUIET_PART = /^(start|end|timezone): (.*)$/s;

/** A refusal's reasons by form field: "email", "channels", "quiet_hours" (the span as a whole, e.g. start =
 * end) and "quiet_hours.start" / ".end" / ".timezone"; the rest for the whole form. */
export function preferenceErrorsOf(error: unknown): FieldErrors {
  const { fields, form } = fieldErrorsOf(error);
  const split: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(fields)) {
    for (const message of messages) {
      const part = field === "quiet_hours" ? QUIET_PART.exec(message) : null;
      const key = part ? `quiet_hours.${part[1]}` : field;
      (split[key] ??= []).push(part ? part[2]! : message);
    }
  }
  return { fields: split, form };
}

/** The browser's own time zone, for quiet hours set for the first time. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** IANA names the browser knows, offered as suggestions (the API decides what it accepts). */
export function knownTimeZones(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    return [];
  }
}
