// Create or edit a runbook: every check is the API's, its 422 messages shown beside their fields.
import { useState, type FormEvent } from "react";
import type { Company, Runbook } from "../../api/pageTypes";
import { useApi, useMe } from "../../auth/AuthContext";
import { fieldErrorsOf, NO_ERRORS, type FieldErrors } from "../../lib/fieldErrors";
import { bodyOf, draftOf, emptyDraft, RUNBOOK_FIELDS, type RunbookDraft } from "../../lib/runbookForm";
import { Field, FormErrors, SubmitOrCancel } from "../forms/Field";

interface Props {
  runbook?: Runbook;
  companies: Company[];
  onSaved: (runbook: Runbook) => void;
  onCancel: () => void;
}

export function RunbookForm({ runbook, companies, onSaved, onCancel }: Props) {
  const api = useApi();
  const me = useMe();
  const isMsp = me.role === "msp_admin";
  const [draft, setDraft] = useState<RunbookDraft>(() =>
    runbook ? draftOf(runbook) : emptyDraft(isMsp ? "" : (companies[0]?.id ?? "")),
  );
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [saving, setSaving] = useState(false);
  const set = <K extends keyof RunbookDraft>(key: K, value: RunbookDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const err = (key: string) => errors.fields[key];

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    try {
      const saved = runbook
        ? await api.put<Runbook>(`/api/runbooks/${runbook.id}`, bodyOf(draft, false))
        : await api.post<Runbook>("/api/runbooks", bodyOf(draft, true));
      setErrors(NO_ERRORS);
      onSaved(saved);
    } catch (error) {
      setErrors(fieldErrorsOf(error, RUNBOOK_FIELDS));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form noValidate onSubmit={(e) => void submit(e)} className="card space-y-4" aria-label={runbook ? "Edit runbook" : "New runbook"}>
      <div className="grid gap-4 md:grid-cols-2">
        <Field label="Name" errors={err("name")}>
          <input value={draft.name} onChange={(e) => set("name", e.target.value)} />
        </Field>
        {runbook ? (
          <div>
            <p className="label">Company</p>
            <p className="mt-2 text-sm">{companies.find((c) => c.id === runbook.company_id)?.name ?? "All clients (global)"}</p>
          </div>
        ) : (
          <Field label="Company" errors={err("company_id")} hint={isMsp ? "Global runbooks apply to every client." : undefined}>
            <select value={draft.company_id} onChange={(e) => set("company_id", e.target.value)}>
              {isMsp && <option value="">All clients (global)</option>}
              {companies.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label="Description" errors={err("description")} className="md:col-span-2">
          <textarea rows={2} value={draft.description} onChange={(e) => set("description", e.target.value)} />
        </Field>
        <Field label="Alert signatures" hint="One glob a line (*, ?, [abc]), e.g. disk_*" errors={err("signatures")}>
          <textarea rows={3} value={draft.signatures} onChange={(e) => set("signatures", e.target.value)} />
        </Field>
        <div className="grid grid-cols-2 gap-4">
          <Field label="Risk level" errors={err("risk_level")}>
            <select value={draft.risk_level} onChange={(e) => set("risk_level", e.target.value as RunbookDraft["risk_level"])}>
              <option value="low">low</option>
              <option value="medium">medium</option>
              <option value="high">high</option>
            </select>
          </Field>
          <Field label="Executor" errors={err("executor")} hint="ssm: on the asset; local: the worker host">
            <select value={draft.executor} onChange={(e) => set("executor", e.target.value as RunbookDraft["executor"])}>
              <option value="ssm">ssm</option>
              <option value="local">local</option>
            </select>
          </Field>
          <Field label="Timeout (seconds)" errors={err("timeout_seconds")} hint="5 to 3600">
            <input inputMode="numeric" value={draft.timeout_seconds} onChange={(e) => set("timeout_seconds", e.target.value)} />
          </Field>
          <div className="flex items-end pb-2">
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={draft.auto_approve} onChange={(e) => set("auto_approve", e.target.checked)} />
              Auto-approve where the company's risk tolerance allows
            </label>
          </div>
        </div>
        <Field label="Actions" hint="One shell command a line, run in order" errors={err("actions")}>
          <textarea rows={4} className="field font-mono" value={draft.actions} onChange={(e) => set("actions", e.target.value)} />
        </Field>
        <Field label="Rollback actions" hint="Line i undoes action i" errors={err("rollback_actions")}>
          <textarea rows={4} className="field font-mono" value={draft.rollback_actions} onChange={(e) => set("rollback_actions", e.target.value)} />
        </Field>
        <Field label="Pre-check" hint="Exit 0: nothing to fix, the run is skipped" errors={err("pre_check")}>
          <input className="field font-mono" value={draft.pre_check} onChange={(e) => set("pre_check", e.target.value)} />
        </Field>
        <Field label="Post-check" hint="Exit 0: healthy after the actions" errors={err("post_check")}>
          <input className="field font-mono" value={draft.post_check} onChange={(e) => set("post_check", e.target.value)} />
        </Field>
        <Field
          label="Parameters"
          className="md:col-span-2"
          hint="One a line: name source pattern, e.g. service label:service ^[a-z-]+$ (source: asset_name, asset_id or label:<name>)"
          errors={err("parameters")}
        >
          <textarea rows={2} className="field font-mono" value={draft.parameters} onChange={(e) => set("parameters", e.target.value)} />
        </Field>
      </div>
      <FormErrors errors={errors.form} />
      <SubmitOrCancel label={runbook ? "Save runbook" : "Create runbook"} busyLabel="Saving…" busy={saving} onCancel={onCancel} />
    </form>
  );
}
