// The signed-in user's notification preferences (GET/PUT /api/users/me/notification-preferences): email
// and Slack per severity (in-app is always on), quiet hours in a time zone, and an address of their own.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useMemo, useState, type FormEvent } from "react";
import type { NotificationPreferences } from "../../api/types";
import { useApi, useMe } from "../../auth/AuthContext";
import { NO_ERRORS, type FieldErrors } from "../../lib/fieldErrors";
import {
  browserTimeZone,
  knownTimeZones,
  OPTIONAL_CHANNELS,
  preferenceErrorsOf,
  preferencesDraftOf,
  preferencesOf,
  SEVERITIES,
  type PreferencesDraft,
} from "../../lib/preferencesForm";
import { ErrorState, Loading } from "../states";
import { Field, FormErrors } from "../forms/Field";

const PREFERENCES = ["notification-preferences"] as const;
const PATH = "/api/users/me/notification-preferences";
const CHANNEL_LABEL = { email: "Email", slack: "Slack" } as const;

export function NotificationPreferencesSection() {
  const api = useApi();
  const prefs = useQuery({ queryKey: PREFERENCES, queryFn: () => api.get<NotificationPreferences>(PATH) });
  return (
    <section className="card mt-4" aria-labelledby="notification-preferences">
      <h2 id="notification-preferences" className="text-lg font-semibold">Notifications</h2>
      <p className="text-sm text-slate-600">
        Notifications always reach you in the app. Choose where else each severity goes, and when to be left alone.
      </p>
      <div className="mt-3">
        {prefs.isPending ? (
          <Loading what="your notification preferences" />
        ) : prefs.isError ? (
          <ErrorState error={prefs.error} what="your notification preferences" retry={() => void prefs.refetch()} />
        ) : (
          <PreferencesForm saved={prefs.data} />
        )}
      </div>
    </section>
  );
}

function PreferencesForm({ saved }: { saved: NotificationPreferences }) {
  const api = useApi();
  const me = useMe();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<PreferencesDraft>(() => preferencesDraftOf(saved, browserTimeZone()));
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [done, setDone] = useState(false);
  const [saving, setSaving] = useState(false);
  const zones = useMemo(knownTimeZones, []);
  const zoneListId = useId();
  const update = (change: Partial<PreferencesDraft>) => {
    setDone(false);
    setDraft((d) => ({ ...d, ...change }));
  };
  const setQuiet = (change: Partial<PreferencesDraft["quiet"]>) => update({ quiet: { ...draft.quiet, ...change } });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    try {
      const stored = await api.put<NotificationPreferences>(PATH, preferencesOf(draft));
      queryClient.setQueryData(PREFERENCES, stored);
      setDraft(preferencesDraftOf(stored, browserTimeZone()));
      setErrors(NO_ERRORS);
      setDone(true);
    } catch (error) {
      setErrors(preferenceErrorsOf(error));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form noValidate aria-label="Notification preferences" className="space-y-4" onSubmit={(e) => void submit(e)}>
      <fieldset className="rounded-md border border-slate-200 p-3">
        <legend className="px-1 text-sm font-semibold">Channels per severity</legend>
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
          {SEVERITIES.map((severity) => (
            <fieldset key={severity} className="space-y-1" aria-describedby={errors.fields.channels ? "channel-errors" : undefined}>
              <legend className="text-sm font-medium capitalize">{severity}</legend>
              <label className="flex items-center gap-2 text-sm text-slate-600">
                <input type="checkbox" checked disabled readOnly />
                In the app (always)
              </label>
              {OPTIONAL_CHANNELS.map((channel) => (
                <label key={channel} className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    checked={draft.channels[severity][channel]}
                    onChange={(e) =>
                      update({
                        channels: { ...draft.channels, [severity]: { ...draft.channels[severity], [channel]: e.target.checked } },
                      })
                    }
                  />
                  {CHANNEL_LABEL[channel]}
                </label>
              ))}
            </fieldset>
          ))}
        </div>
        {errors.fields.channels && (
          <p id="channel-errors" className="mt-2 text-sm text-red-800" data-testid="field-error">
            {errors.fields.channels.join("; ")}
          </p>
        )}
        <p className="mt-2 text-xs text-slate-600">Slack goes to your company&apos;s channel when anyone notified wants it.</p>
      </fieldset>
      <fieldset className="rounded-md border border-slate-200 p-3">
        <legend className="px-1 text-sm font-semibold">Quiet hours</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={draft.quietOn} onChange={(e) => update({ quietOn: e.target.checked })} />
          Only the app (and critical notifications everywhere) during quiet hours
        </label>
        {draft.quietOn && (
          <div className="mt-3 grid gap-3 sm:grid-cols-3">
            <Field label="From" hint="On your wall clock" errors={errors.fields["quiet_hours.start"]}>
              <input type="time" value={draft.quiet.start} onChange={(e) => setQuiet({ start: e.target.value })} />
            </Field>
            <Field label="Until" hint="Past midnight when earlier than From" errors={errors.fields["quiet_hours.end"]}>
              <input type="time" value={draft.quiet.end} onChange={(e) => setQuiet({ end: e.target.value })} />
            </Field>
            <Field label="Time zone" hint="An IANA name, e.g. Europe/Berlin" errors={errors.fields["quiet_hours.timezone"]}>
              <input list={zoneListId} autoComplete="off" value={draft.quiet.timezone} onChange={(e) => setQuiet({ timezone: e.target.value })} />
            </Field>
            <datalist id={zoneListId}>
              {zones.map((zone) => (
                <option key={zone} value={zone} />
              ))}
            </datalist>
          </div>
        )}
        {errors.fields.quiet_hours && (
          <p className="mt-2 text-sm text-red-800" data-testid="field-error">
            {errors.fields.quiet_hours.join("; ")}
          </p>
        )}
      </fieldset>
      <Field
        label="Send notification email to"
        hint={`Empty: your account's address (${me.email})`}
        errors={errors.fields.email}
        className="max-w-md"
      >
        <input type="email" autoComplete="email" value={draft.email} onChange={(e) => update({ email: e.target.value })} />
      </Field>
      <FormErrors errors={errors.form} />
      {done && (
        <p role="status" className="text-sm text-emerald-800">
          Notification preferences saved.
        </p>
      )}
      <button type="submit" className="btn-primary" disabled={saving}>
        {saving ? "Saving…" : "Save notification preferences"}
      </button>
    </form>
  );
}
