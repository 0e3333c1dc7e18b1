// Create or edit an on-call schedule: layers (rotations of people), overrides and shift swaps.
import { useState, type FormEvent } from "react";
import type { Schedule, User } from "../../api/pageTypes";
import { useApi } from "../../auth/AuthContext";
import { fieldErrorsOf } from "../../lib/fieldErrors";
import {
  emptySchedule,
  newLayer,
  scheduleBody,
  scheduleDraftOf,
  scheduleProblems,
  type LayerDraft,
  type OverrideDraft,
  type ScheduleDraft,
} from "../../lib/scheduleForm";
import { Field, FormErrors, SubmitOrCancel } from "../forms/Field";

interface Props {
  companyId: string;
  schedule?: Schedule;
  users: User[];
  onSaved: () => void;
  onCancel: () => void;
}

const today = () => new Date().toISOString().slice(0, 10);
const one = (text: string | undefined) => (text ? [text] : undefined);

export function ScheduleEditor({ companyId, schedule, users, onSaved, onCancel }: Props) {
  const api = useApi();
  const [draft, setDraft] = useState<ScheduleDraft>(() =>
    schedule ? scheduleDraftOf(schedule) : emptySchedule(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC", today()),
  );
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [apiErrors, setApiErrors] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const name = (id: string) => {
    const u = users.find((x) => x.id === id);
    return u ? u.name || u.email : id;
  };
  const setLayer = (i: number, change: Partial<LayerDraft>) =>
    setDraft((d) => ({ ...d, layers: d.layers.map((l, j) => (j === i ? { ...l, ...change } : l)) }));
  const setOverride = (i: number, change: Partial<OverrideDraft>) =>
    setDraft((d) => ({ ...d, overrides: d.overrides.map((o, j) => (j === i ? { ...o, ...change } : o)) }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = scheduleProblems(draft);
    setProblems(found);
    setApiErrors([]);
    if (Object.keys(found).length > 0) return;
    setSaving(true);
    try {
      if (schedule) await api.put(`/api/schedules/${schedule.id}`, scheduleBody(draft, null));
      else await api.post("/api/schedules", scheduleBody(draft, companyId));
      onSaved();
    } catch (error) {
      const split = fieldErrorsOf(error);
      setApiErrors([...Object.entries(split.fields).map(([k, v]) => `${k}: ${v.join("; ")}`), ...split.form]);
    } finally {
      setSaving(false);
    }
  }

  return (
    <form noValidate aria-label={schedule ? `Edit schedule ${schedule.name}` : "New schedule"} className="card space-y-4" onSubmit={(e) => void submit(e)}>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Schedule name" errors={one(problems.name)}>
          <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        </Field>
        <Field label="Schedule time zone" hint="IANA, e.g. Europe/Berlin: hand-offs follow its wall clock" errors={one(problems.timezone)}>
          <input value={draft.timezone} onChange={(e) => setDraft({ ...draft, timezone: e.target.value })} />
        </Field>
      </div>

      <fieldset className="space-y-3">
        <legend className="text-base font-semibold">Layers (lowest first; the highest with someone on call wins)</legend>
        {draft.layers.map((layer, i) => (
          <div key={i} className="rounded-md border border-slate-200 p-3" data-testid="layer">
            <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-5">
              <Field label={`Layer ${i + 1} name`} errors={one(problems[`layers.${i}.name`])}>
                <input value={layer.name} onChange={(e) => setLayer(i, { name: e.target.value })} />
              </Field>
              <Field label={`Layer ${i + 1} rotation`}>
                <select value={layer.rotation} onChange={(e) => setLayer(i, { rotation: e.target.value as LayerDraft["rotation"] })}>
                  <option value="daily">daily</option>
                  <option value="weekly">weekly</option>
                  <option value="custom">custom (every N hours)</option>
                </select>
              </Field>
              {layer.rotation === "custom" && (
                <Field label={`Layer ${i + 1} shift hours`} errors={one(problems[`layers.${i}.shift_hours`])}>
                  <input inputMode="numeric" value={layer.shift_hours} onChange={(e) => setLayer(i, { shift_hours: e.target.value })} />
                </Field>
              )}
              <Field label={`Layer ${i + 1} hand-off time`} errors={one(problems[`layers.${i}.handoff_time`])}>
                <input type="time" value={layer.handoff_time} onChange={(e) => setLayer(i, { handoff_time: e.target.value })} />
              </Field>
              <Field label={`Layer ${i + 1} first hand-off`} errors={one(problems[`layers.${i}.starts_on`])}>
                <input type="date" value={layer.starts_on} onChange={(e) => setLayer(i, { starts_on: e.target.value })} />
              </Field>
            </div>
            <div className="mt-3">
              <p className="label" id={`layer-${i}-people`}>Layer {i + 1} rotation order</p>
              <ol className="mt-1 space-y-1 text-sm" aria-labelledby={`layer-${i}-people`}>
                {layer.participants.map((id, k) => (
                  <li key={id + k} className="flex items-center gap-2">
                    <span>{k + 1}. {name(id)}</span>
                    <button type="button" className="btn-secondary px-2 py-0.5" aria-label={`Remove ${name(id)} from layer ${i + 1}`} onClick={() => setLayer(i, { participants: layer.participants.filter((_, j) => j !== k) })}>
                      Remove
                    </button>
                  </li>
                ))}
              </ol>
              <div className="mt-2 max-w-sm">
                <Field label={`Add a person to layer ${i + 1}`} errors={one(problems[`layers.${i}.participants`])}>
                  <select
                    value=""
                    onChange={(e) => e.target.value && setLayer(i, { participants: [...layer.participants, e.target.value] })}
                  >
                    <option value="">Choose…</option>
                    {users.filter((u) => !layer.participants.includes(u.id)).map((u) => (
                      <option key={u.id} value={u.id}>
                        {u.name || u.email}
                        {u.category ? ` (${u.category})` : ""}
                      </option>
                    ))}
                  </select>
                </Field>
              </div>
            </div>
            {draft.layers.length > 1 && (
              <button type="button" className="btn-secondary mt-2" onClick={() => setDraft({ ...draft, layers: draft.layers.filter((_, j) => j !== i) })}>
                Remove layer {i + 1}
              </button>
            )}
          </div>
        ))}
        <button type="button" className="btn-secondary" onClick={() => setDraft({ ...draft, layers: [...draft.layers, newLayer(draft.layers.length, today())] })}>
          Add a layer
        </button>
      </fieldset>

      <fieldset className="space-y-3">
        <legend className="text-base font-semibold">Overrides and shift swaps</legend>
        {draft.overrides.length === 0 && <p className="text-sm text-slate-600">None. An override puts someone on call for a period; a swap stands in for one person only.</p>}
        {draft.overrides.map((o, i) => (
          <div key={i} className="grid gap-3 rounded-md border border-slate-200 p-3 sm:grid-cols-2 lg:grid-cols-5" data-testid="override">
            <Field label={`Override ${i + 1}: who`} errors={one(problems[`overrides.${i}.user_id`])}>
              <select value={o.user_id} onChange={(e) => setOverride(i, { user_id: e.target.value })}>
                <option value="">Choose…</option>
                {users.map((u) => <option key={u.id} value={u.id}>{u.name || u.email}</option>)}
              </select>
            </Field>
            <Field label={`Override ${i + 1}: stands in for`} hint="Everyone, or one person (a swap)" errors={one(problems[`overrides.${i}.replaces_user_id`])}>
              <select value={o.replaces_user_id} onChange={(e) => setOverride(i, { replaces_user_id: e.target.value })}>
                <option value="">everyone</option>
                {users.map((u) => <option key={u.id} value={u.id}>{u.name || u.email}</option>)}
              </select>
            </Field>
            <Field label={`Override ${i + 1}: from`} errors={one(problems[`overrides.${i}.starts_at`])}>
              <input type="datetime-local" value={o.starts_at} onChange={(e) => setOverride(i, { starts_at: e.target.value })} />
            </Field>
            <Field label={`Override ${i + 1}: until`} errors={one(problems[`overrides.${i}.ends_at`])}>
              <input type="datetime-local" value={o.ends_at} onChange={(e) => setOverride(i, { ends_at: e.target.value })} />
            </Field>
            <div className="flex items-end">
              <button type="button" className="btn-secondary" onClick={() => setDraft({ ...draft, overrides: draft.overrides.filter((_, j) => j !== i) })}>
                Remove override {i + 1}
              </button>
            </div>
          </div>
        ))}
        <button
          type="button"
          className="btn-secondary"
          onClick={() => setDraft({ ...draft, overrides: [...draft.overrides, { user_id: "", starts_at: "", ends_at: "", replaces_user_id: "" }] })}
        >
          Add an override or swap
        </button>
      </fieldset>

      {Object.keys(problems).length > 0 && <FormErrors errors={["Fix the fields marked above, then save again."]} />}
      <FormErrors errors={apiErrors} />
      <SubmitOrCancel label={schedule ? "Save schedule" : "Create schedule"} busyLabel="Saving…" busy={saving} onCancel={onCancel} />
    </form>
  );
}
