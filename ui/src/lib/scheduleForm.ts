// The on-call schedule editor's draft and the checks it makes before sending (the API checks again and
// its 422s are shown too): problems a person can fix at once, named by where they are.
import type { Schedule, ScheduleCreate } from "../api/pageTypes";
import { localToIso } from "./auditFilters";

export interface LayerDraft {
  name: string;
  rotation: "daily" | "weekly" | "custom";
  shift_hours: string;
  handoff_time: string;
  starts_on: string;
  participants: string[];
  /** Weekly intervals the layer covers, kept as they were (the editor does not change them). */
  restrictions: NonNullable<ScheduleCreate["layers"][number]["restrictions"]>;
}

export type ScheduleBody = Omit<ScheduleCreate, "company_id"> & { company_id?: string };

export interface OverrideDraft {
  user_id: string;
  /** datetime-local text, the browser's zone. */
  starts_at: string;
  ends_at: string;
  /** "" for a full override; a user id for a shift swap. */
  replaces_user_id: string;
}

export interface ScheduleDraft {
  name: string;
  timezone: string;
  layers: LayerDraft[];
  overrides: OverrideDraft[];
}

export function newLayer(index: number, today: string): LayerDraft {
  return { name: `Layer ${index + 1}`, rotation: "weekly", shift_hours: "", handoff_time: "09:00", starts_on: today, participants: [], restrictions: [] };
}

export function emptySchedule(timezone: string, today: string): ScheduleDraft {
  return { name: "", timezone, layers: [newLayer(0, today)], overrides: [] };
}

/** An ISO instant as datetime-local text in the browser's zone. */
export function isoToLocal(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function scheduleDraftOf(schedule: Schedule): ScheduleDraft {
  return {
    name: schedule.name,
    timezone: schedule.timezone,
    layers: schedule.layers.map((l) => ({
      name: l.name,
      rotation: l.rotation,
      shift_hours: l.shift_hours ? String(l.shift_hours) : "",
      handoff_time: l.handoff_time,
      starts_on: l.starts_on,
      participants: [...l.participants],
      restrictions: l.restrictions ?? [],
    })),
    overrides: schedule.overrides.map((o) => ({
      user_id: o.user_id,
      starts_at: isoToLocal(o.starts_at),
      ends_at: isoToLocal(o.ends_at),
      replaces_user_id: o.replaces_user_id ?? "",
    })),
  };
}

/** What is wrong, keyed by where: "name", "layers.0.participants", "overrides.1.ends_at". Empty: send it. */
export function scheduleProblems(draft: ScheduleDraft): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!draft.name.trim()) problems.name = "give the schedule a name";
  if (!draft.timezone.trim()) problems.timezone = "give an IANA time zone, e.g. Europe/Berlin";
  if (draft.layers.length === 0) problems.layers = "a schedule needs at least one layer";
  draft.layers.forEach((layer, i) => {
    if (!layer.name.trim()) problems[`layers.${i}.name`] = "give the layer a name";
    if (layer.participants.length === 0) problems[`layers.${i}.participants`] = "add at least one person";
    if (new Set(layer.participants).size !== layer.participants.length)
      problems[`layers.${i}.participants`] = "each person takes one place in the rotation";
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(layer.handoff_time)) problems[`layers.${i}.handoff_time`] = "a time, HH:MM";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(layer.starts_on)) problems[`layers.${i}.starts_on`] = "the date of the first hand-off";
    if (layer.rotation === "custom") {
      const hours = Number(layer.shift_hours);
      if (!/^\d+$/.test(layer.shift_hours.trim()) || hours < 1 || hours > 672)
        problems[`layers.${i}.shift_hours`] = "a custom rotation needs a shift length of 1 to 672 hours";
    }
  });
  draft.overrides.forEach((o, i) => {
    if (!o.user_id) problems[`overrides.${i}.user_id`] = "choose who stands in";
    const start = new Date(o.starts_at).getTime();
    const end = new Date(o.ends_at).getTime();
    if (Number.isNaN(start)) problems[`overrides.${i}.starts_at`] = "choose when it starts";
    if (Number.isNaN(end)) problems[`overrides.${i}.ends_at`] = "choose when it ends";
    else if (!Number.isNaN(start) && end <= start) problems[`overrides.${i}.ends_at`] = "must be after the start";
    if (o.replaces_user_id && o.replaces_user_id === o.user_id)
      problems[`overrides.${i}.replaces_user_id`] = "a swap stands in for someone else";
  });
  return problems;
}

export function scheduleBody(draft: ScheduleDraft, companyId: string | null): ScheduleBody {
  const body: ScheduleBody = {
    name: draft.name.trim(),
    timezone: draft.timezone.trim(),
    layers: draft.layers.map((l) => ({
      name: l.name.trim(),
      rotation: l.rotation,
      shift_hours: l.rotation === "custom" ? Number(l.shift_hours) : null,
      handoff_time: l.handoff_time,
      starts_on: l.starts_on,
      participants: l.participants,
      restrictions: l.restrictions,
    })),
    overrides: draft.overrides.map((o) => ({
      user_id: o.user_id,
      starts_at: localToIso(o.starts_at),
      ends_at: localToIso(o.ends_at),
      replaces_user_id: o.replaces_user_id || null,
    })),
  };
  if (companyId) body.company_id = companyId;
  return body;
}
