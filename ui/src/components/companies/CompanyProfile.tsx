// A company's profile: name, assets, critical assets and monitoring integrations; deleting the company
// for those who may.
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Company, CompanyUpdate } from "../../api/pageTypes";
import { useApi, useAuth } from "../../auth/AuthContext";
import { parseProfile, profileDraftOf, profileErrorsOf, type ProfileDraft } from "../../lib/companyProfile";
import { NO_ERRORS, type FieldErrors } from "../../lib/fieldErrors";
import { FormErrors } from "../forms/Field";
import { DeleteCompany } from "./DeleteCompany";
import { ProfileFields } from "./ProfileFields";

export function CompanyProfile({ company }: { company: Company }) {
  const api = useApi();
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const editable = can("companies:update");
  const [draft, setDraft] = useState<ProfileDraft>(() => profileDraftOf(company));
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const parsed = parseProfile(draft, company.assets ?? []);
    if (Object.keys(parsed.errors).length > 0) return setErrors({ fields: parsed.errors, form: [] });
    setSaving(true);
    try {
      await api.put(`/api/companies/${company.id}`, parsed.body satisfies CompanyUpdate);
      setErrors(NO_ERRORS);
      setSaved(true);
      void queryClient.invalidateQueries({ queryKey: ["companies"] });
    } catch (error) {
      setErrors(profileErrorsOf(error, parsed.lines));
    } finally {
      setSaving(false);
    }
  }

  return (
    <div className="space-y-4">
      <form noValidate aria-label="Company profile" className="card space-y-3" onSubmit={(e) => void submit(e)}>
        {!editable && <p className="text-sm text-slate-600">Your role reads the profile; an administrator changes it.</p>}
        <ProfileFields
          draft={draft}
          disabled={!editable}
          errors={errors.fields}
          onChange={(change) => {
            setSaved(false);
            setDraft((d) => ({ ...d, ...change }));
          }}
        />
        <FormErrors errors={errors.form} />
        {saved && <p role="status" className="text-sm text-emerald-800">Profile saved.</p>}
        {editable && (
          <button type="submit" className="btn-primary" disabled={saving}>
            {saving ? "Saving…" : "Save profile"}
          </button>
        )}
      </form>
      {can("companies:delete") && <DeleteCompany company={company} />}
    </div>
  );
}
