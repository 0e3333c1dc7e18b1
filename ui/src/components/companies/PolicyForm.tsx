// A company's policy: correlation, recovery, risk tolerance and automation, SLA targets and business hours.
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import type { Company, CompanyPolicy } from "../../api/pageTypes";
import { useApi, useAuth } from "../../auth/AuthContext";
import { fieldErrorsOf, NO_ERRORS, type FieldErrors } from "../../lib/fieldErrors";
import { policyDraftOf, policyOf, SEVERITIES, type PolicyDraft } from "../../lib/policyForm";
import { Field, FormErrors } from "../forms/Field";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function Group({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="rounded-md border border-slate-200 p-3">
      <legend className="px-1 text-sm font-semibold">{title}</legend>
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">{children}</div>
    </fieldset>
  );
}

export function PolicyForm({ company }: { company: Company }) {
  const api = useApi();
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const editable = can("companies:update");
  // The API always sends the policy (with its defaults); the schema marks it optional only as defaulted.
  const base = company.policy ?? ({} as CompanyPolicy);
  const [draft, setDraft] = useState<PolicyDraft>(() => policyDraftOf(base));
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);
  const err = (key: string) => errors.fields[key];
  const update = (change: Partial<PolicyDraft>) => {
    setSaved(false);
    setDraft((d) => ({ ...d, ...change }));
  };
  const number = (key: keyof PolicyDraft["numbers"], label: string, hint?: string) => (
    <Field label={label} hint={hint} errors={err(key)}>
      <input inputMode="numeric" disabled={!editable} value={draft.numbers[key]} onChange={(e) => update({ numbers: { ...draft.numbers, [key]: e.target.value } })} />
    </Field>
  );
  const hours = draft.business_hours;
  const setHours = (change: Partial<PolicyDraft["business_hours"]>) => update({ business_hours: { ...hours, ...change } });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    try {
      await api.put(`/api/companies/${company.id}`, { policy: policyOf(draft, base) });
      setErrors(NO_ERRORS);
      setSaved(true);
      void queryClient.invalidateQueries({ queryKey: ["companies"] });
    } catch (error) {
      setErrors(fieldErrorsOf(error, [], "policy"));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form noValidate aria-label="Company policy" className="card space-y-4" onSubmit={(e) => void submit(e)}>
      {!editable && <p className="text-sm text-slate-600">Your role reads the policy; an administrator changes it.</p>}
      <Group title="Automation and risk">
        <Field label="Risk tolerance" hint="The riskiest runbook that may run without approval" errors={err("risk_tolerance")}>
          <select disabled={!editable} value={draft.risk_tolerance} onChange={(e) => update({ risk_tolerance: e.target.value as PolicyDraft["risk_tolerance"] })}>
            <option value="none">none (every runbook waits)</option>
            <option value="low">low</option>
            <option value="medium">medium</option>
            <option value="high">high</option>
          </select>
        </Field>
        <div className="flex items-end pb-2">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" disabled={!editable} checked={draft.automation} onChange={(e) => update({ automation: e.target.checked })} />
            Automation: decide and run runbooks unattended
          </label>
        </div>
        <div className="flex items-end pb-2">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" disabled={!editable} checked={draft.sla_tracking} onChange={(e) => update({ sla_tracking: e.target.checked })} />
            SLA tracking: response and resolution clocks, warnings and breaches
          </label>
        </div>
        <div className="flex items-end pb-2">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" disabled={!editable} checked={draft.auto_assignment} onChange={(e) => update({ auto_assignment: e.target.checked })} />
            Auto-assignment: give new incidents to whoever is on call
          </label>
        </div>
        {number("approval_timeout_minutes", "Approval timeout (minutes)", "Unanswered approvals escalate after this")}
        {number("max_runs_per_asset_hour", "Runbook runs per asset per hour")}
        {number("daily_token_budget", "Daily LLM token budget", "Past it, rules decide")}
        <Field label="Assignment strategy" errors={err("assignment_strategy")}>
          <select disabled={!editable} value={draft.assignment_strategy} onChange={(e) => update({ assignment_strategy: e.target.value as PolicyDraft["assignment_strategy"] })}>
            <option value="round_robin">round robin</option>
            <option value="least_loaded">least loaded</option>
          </select>
        </Field>
      </Group>
      <Group title="Correlation and recovery">
        {number("window_minutes", "Correlation window (minutes)", "1 to 60")}
        {number("min_alerts", "Alerts before an incident opens", "1 to 5")}
        <Field label="Group alerts by" errors={err("aggregation_key")}>
          <select disabled={!editable} value={draft.aggregation_key} onChange={(e) => update({ aggregation_key: e.target.value as PolicyDraft["aggregation_key"] })}>
            <option value="asset|signature">asset and signature</option>
            <option value="asset">asset</option>
          </select>
        </Field>
        <Field label="On recovery" errors={err("on_recovery")}>
          <select disabled={!editable} value={draft.on_recovery} onChange={(e) => update({ on_recovery: e.target.value as PolicyDraft["on_recovery"] })}>
            <option value="auto_resolve">resolve by itself</option>
            <option value="confirm">wait for a technician</option>
          </select>
        </Field>
        {number("flap_threshold", "Flapping after this many recoveries", "0: off")}
        {number("flap_window_minutes", "Flapping window (minutes)")}
      </Group>
      <fieldset className="rounded-md border border-slate-200 p-3">
        <legend className="px-1 text-sm font-semibold">SLA targets (minutes; empty: the MSP's default)</legend>
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
          {SEVERITIES.map((severity) => (
            <div key={severity} className="space-y-2">
              {(["response", "resolution"] as const).map((part) => (
                <Field key={part} label={`${severity}: ${part === "response" ? "acknowledge within" : "resolve within"}`}>
                  <input
                    inputMode="numeric"
                    disabled={!editable}
                    value={draft.sla[severity][part]}
                    onChange={(e) => update({ sla: { ...draft.sla, [severity]: { ...draft.sla[severity], [part]: e.target.value } } })}
                  />
                </Field>
              ))}
            </div>
          ))}
        </div>
        {err("sla_overrides") && <p className="mt-2 text-sm text-red-800" data-testid="field-error">{err("sla_overrides")!.join("; ")}</p>}
      </fieldset>
      <fieldset className="rounded-md border border-slate-200 p-3">
        <legend className="px-1 text-sm font-semibold">Business hours</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" disabled={!editable} checked={draft.business_hours_on} onChange={(e) => update({ business_hours_on: e.target.checked })} />
          SLA clocks run only in business hours (off: around the clock)
        </label>
        {draft.business_hours_on && (
          <div className="mt-3 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
            <Field label="Start"><input type="time" disabled={!editable} value={hours.start} onChange={(e) => setHours({ start: e.target.value })} /></Field>
            <Field label="End" hint="00:00: until midnight"><input type="time" disabled={!editable} value={hours.end} onChange={(e) => setHours({ end: e.target.value })} /></Field>
            <Field label="Time zone" hint="IANA, e.g. Europe/Berlin"><input disabled={!editable} value={hours.timezone} onChange={(e) => setHours({ timezone: e.target.value })} /></Field>
            <Field label="Holidays" hint="Dates, e.g. 2030-12-25, one a line"><textarea rows={2} disabled={!editable} value={hours.holidays} onChange={(e) => setHours({ holidays: e.target.value })} /></Field>
            <fieldset className="sm:col-span-2 lg:col-span-4">
              <legend className="label">Working days</legend>
              <div className="mt-1 flex flex-wrap gap-3">
                {WEEKDAYS.map((day, index) => (
                  <label key={day} className="flex items-center gap-1 text-sm">
                    <input
                      type="checkbox"
                      disabled={!editable}
                      checked={hours.weekdays.includes(index + 1)}
                      onChange={(e) =>
                        setHours({ weekdays: e.target.checked ? [...hours.weekdays, index + 1] : hours.weekdays.filter((d) => d !== index + 1) })
                      }
                    />
                    {day}
                  </label>
                ))}
              </div>
            </fieldset>
          </div>
        )}
        {err("business_hours") && <p className="mt-2 text-sm text-red-800" data-testid="field-error">{err("business_hours")!.join("; ")}</p>}
      </fieldset>
      <FormErrors errors={errors.form} />
      {saved && <p role="status" className="text-sm text-emerald-800">Policy saved; new incidents follow it.</p>}
      {editable && (
        <button type="submit" className="btn-primary" disabled={saving}>
          {saving ? "Saving…" : "Save policy"}
        </button>
      )}
    </form>
  );
}
