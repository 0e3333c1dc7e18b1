// Adding a client company (MSP administrators): its profile now, the rest on its own settings page. The
// API answers with the company's API key and HMAC secret, which it never shows again.
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { CompanyCreate, CompanyCreated } from "../../api/pageTypes";
import { useApi } from "../../auth/AuthContext";
import { EMPTY_PROFILE, parseProfile, profileErrorsOf, type ProfileDraft } from "../../lib/companyProfile";
import { NO_ERRORS, type FieldErrors } from "../../lib/fieldErrors";
import { FormErrors, SubmitOrCancel } from "../forms/Field";
import { ProfileFields } from "./ProfileFields";

export function AddCompany({ onCreated, onCancel }: { onCreated: (created: CompanyCreated) => void; onCancel: () => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<ProfileDraft>(EMPTY_PROFILE);
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [saving, setSaving] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseProfile(draft);
    if (Object.keys(parsed.errors).length > 0) return setErrors({ fields: parsed.errors, form: [] });
    setSaving(true);
    try {
      const created = await api.post<CompanyCreated>("/api/companies", parsed.body satisfies CompanyCreate);
      // The list and every company picker know it before its page opens.
      await queryClient.invalidateQueries({ queryKey: ["companies"] });
      onCreated(created);
    } catch (error) {
      setErrors(profileErrorsOf(error, parsed.lines));
      setSaving(false);
    }
  }

  return (
    <form noValidate aria-label="Add a company" className="card mb-4 space-y-3" onSubmit={(e) => void submit(e)}>
      <h2 className="text-lg font-semibold">Add a company</h2>
      <p className="text-sm text-slate-600">
        Its API key and HMAC secret are shown once, on the next page. Policy, maintenance, escalation and notifications are set there too.
      </p>
      <ProfileFields draft={draft} onChange={(change) => setDraft((d) => ({ ...d, ...change }))} errors={errors.fields} />
      <FormErrors errors={errors.form} />
      <SubmitOrCancel label="Add company" busyLabel="Adding…" busy={saving} onCancel={onCancel} />
    </form>
  );
}
