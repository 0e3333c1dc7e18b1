// Maintenance windows: while one is open, matching alerts are stored as suppressed and page no one.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Company, MaintenanceWindow } from "../../api/pageTypes";
import { useApi, useAuth } from "../../auth/AuthContext";
import { localToIso } from "../../lib/auditFilters";
import { fieldErrorsOf, NO_ERRORS, type FieldErrors } from "../../lib/fieldErrors";
import { formatTime } from "../../lib/time";
import { Field, FormErrors } from "../forms/Field";
import { Empty, ErrorState, Loading } from "../states";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

function when(w: MaintenanceWindow): string {
  if (w.kind === "once") return `${formatTime(w.starts_at)} – ${formatTime(w.ends_at)}`;
  if (w.kind === "cron") return `cron ${w.cron} for ${w.duration_minutes} min (${w.timezone})`;
  return `${w.weekly.map((i) => `${i.days.join(",")} ${i.start}–${i.end}`).join("; ")} (${w.timezone})`;
}

export function MaintenanceWindows({ company }: { company: Company }) {
  const api = useApi();
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const key = ["maintenance-windows", company.id];
  const windows = useQuery({ queryKey: key, queryFn: () => api.get<MaintenanceWindow[]>("/api/maintenance-windows", { company_id: company.id }) });
  const remove = useMutation({
    mutationFn: (id: string) => api.delete(`/api/maintenance-windows/${id}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  const manage = can("maintenance:manage");

  return (
    <div className="space-y-4">
      <section className="card" aria-labelledby="mw">
        <h2 id="mw" className="text-lg font-semibold">Maintenance windows</h2>
        <p className="text-sm text-slate-600">Alerts that match an open window are kept, marked suppressed, and open no incident.</p>
        <div className="mt-3">
          {windows.isPending ? (
            <Loading what="maintenance windows" />
          ) : windows.isError ? (
            <ErrorState error={windows.error} what="maintenance windows" retry={() => void windows.refetch()} />
          ) : windows.data.length === 0 ? (
            <Empty title="No maintenance windows">{manage ? "Add one below before planned work." : "An administrator adds them before planned work."}</Empty>
          ) : (
            <ul className="divide-y divide-slate-200" data-testid="maintenance-windows">
              {windows.data.map((w) => (
                <li key={w.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                  <div>
                    <p className="font-medium">
                      {w.name}
                      {w.active_now && <span className="ml-2 rounded bg-amber-100 px-1.5 text-xs text-amber-950">open now</span>}
                      {!w.enabled && <span className="ml-2 rounded bg-slate-200 px-1.5 text-xs">disabled</span>}
                    </p>
                    <p className="text-slate-600">
                      {when(w)} · assets {w.match_assets.join(", ") || "any"} · signatures {w.match_signatures.join(", ") || "any"} ·{" "}
                      {w.suppressed_alerts} alert{w.suppressed_alerts === 1 ? "" : "s"} suppressed
                      {w.next_start && <> · next {formatTime(w.next_start)}</>}
                    </p>
                  </div>
                  {manage && (
                    <button type="button" className="btn-secondary" aria-label={`Delete window ${w.name}`} onClick={() => remove.mutate(w.id)}>
                      Delete
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
        {remove.isError && <FormErrors errors={[`Could not delete: ${remove.error.message}`]} />}
      </section>
      {manage && <NewWindow company={company} onCreated={() => void queryClient.invalidateQueries({ queryKey: key })} />}
    </div>
  );
}

function NewWindow({ company, onCreated }: { company: Company; onCreated: () => void }) {
  const api = useApi();
  const [draft, setDraft] = useState({
    name: "",
    kind: "once" as "once" | "weekly" | "cron",
    starts_at: "",
    ends_at: "",
    days: ["sun"] as string[],
    start: "02:00",
    end: "04:00",
    cron: "0 2 * * sun",
    duration_minutes: "120",
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    match_assets: "",
    match_signatures: "",
  });
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const set = (change: Partial<typeof draft>) => setDraft((d) => ({ ...d, ...change }));
  const list = (text: string) => text.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);
  const err = (k: string) => errors.fields[k];

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body: Record<string, unknown> = {
      company_id: company.id,
      name: draft.name,
      kind: draft.kind,
      timezone: draft.timezone,
      match_assets: list(draft.match_assets),
      match_signatures: list(draft.match_signatures),
    };
    if (draft.kind === "once") Object.assign(body, { starts_at: localToIso(draft.starts_at) || null, ends_at: localToIso(draft.ends_at) || null });
    if (draft.kind === "weekly") body.weekly = [{ days: draft.days, start: draft.start, end: draft.end }];
    if (draft.kind === "cron") {
      const minutes = draft.duration_minutes.trim();
      Object.assign(body, { cron: draft.cron, duration_minutes: /^\d+$/.test(minutes) ? Number(minutes) : minutes });
    }
    try {
      await api.post("/api/maintenance-windows", body);
      setErrors(NO_ERRORS);
      set({ name: "" });
      onCreated();
    } catch (error) {
      setErrors(fieldErrorsOf(error, ["starts_at", "ends_at", "weekly", "cron", "duration_minutes"]));
    }
  }

  return (
    <form noValidate aria-label="New maintenance window" className="card space-y-3" onSubmit={(e) => void submit(e)}>
      <h2 className="text-lg font-semibold">New maintenance window</h2>
      <div className="grid gap-3 md:grid-cols-3">
        <Field label="Window name" errors={err("name")}>
          <input value={draft.name} onChange={(e) => set({ name: e.target.value })} />
        </Field>
        <Field label="Kind" errors={err("kind")}>
          <select value={draft.kind} onChange={(e) => set({ kind: e.target.value as typeof draft.kind })}>
            <option value="once">once</option>
            <option value="weekly">weekly</option>
            <option value="cron">cron</option>
          </select>
        </Field>
        <Field label="Window time zone" errors={err("timezone")}>
          <input value={draft.timezone} onChange={(e) => set({ timezone: e.target.value })} />
        </Field>
        {draft.kind === "once" && (
          <>
            <Field label="Starts" errors={err("starts_at")}>
              <input type="datetime-local" value={draft.starts_at} onChange={(e) => set({ starts_at: e.target.value })} />
            </Field>
            <Field label="Ends" errors={err("ends_at")}>
              <input type="datetime-local" value={draft.ends_at} onChange={(e) => set({ ends_at: e.target.value })} />
            </Field>
          </>
        )}
        {draft.kind === "weekly" && (
          <>
            <fieldset className="md:col-span-3">
              <legend className="label">Days it starts on</legend>
              <div className="mt-1 flex flex-wrap gap-3">
                {DAYS.map((day) => (
                  <label key={day} className="flex items-center gap-1 text-sm">
                    <input
                      type="checkbox"
                      checked={draft.days.includes(day)}
                      onChange={(e) => set({ days: e.target.checked ? [...draft.days, day] : draft.days.filter((d) => d !== day) })}
                    />
                    {day}
                  </label>
                ))}
              </div>
            </fieldset>
            <Field label="From (local)" errors={err("weekly")}>
              <input type="time" value={draft.start} onChange={(e) => set({ start: e.target.value })} />
            </Field>
            <Field label="Until (local)" hint="At or before the start: the next day">
              <input type="time" value={draft.end} onChange={(e) => set({ end: e.target.value })} />
            </Field>
          </>
        )}
        {draft.kind === "cron" && (
          <>
            <Field label="Cron" hint='Five fields, e.g. "0 2 * * sun"' errors={err("cron")}>
              <input className="field font-mono" value={draft.cron} onChange={(e) => set({ cron: e.target.value })} />
            </Field>
            <Field label="Duration (minutes)" errors={err("duration_minutes")}>
              <input inputMode="numeric" value={draft.duration_minutes} onChange={(e) => set({ duration_minutes: e.target.value })} />
            </Field>
          </>
        )}
        <Field label="Assets" hint="Globs, comma or line separated; empty: any" errors={err("match_assets")}>
          <input value={draft.match_assets} onChange={(e) => set({ match_assets: e.target.value })} />
        </Field>
        <Field label="Signatures" hint="Globs; empty: any" errors={err("match_signatures")}>
          <input value={draft.match_signatures} onChange={(e) => set({ match_signatures: e.target.value })} />
        </Field>
      </div>
      <FormErrors errors={errors.form} />
      <button type="submit" className="btn-primary">Add window</button>
    </form>
  );
}
