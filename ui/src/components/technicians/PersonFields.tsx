// The fields of a person, shared by the add and edit forms, each with the API's reason beside it.
import { useId, useState } from "react";
import type { Company } from "../../api/pageTypes";
import type { Role } from "../../api/types";
import type { FieldErrors } from "../../lib/fieldErrors";
import { CATEGORY_SUGGESTIONS, ROLE_LABELS, suggestPassword, type PersonDraft } from "../../lib/peopleForm";
import { Field } from "../forms/Field";

interface Props {
  draft: PersonDraft;
  onChange: (change: Partial<PersonDraft>) => void;
  errors: FieldErrors;
  /** The roles this caller may give. */
  roles: Role[];
  /** The caller's companies: the only ones they can add people to. */
  companies: Company[];
  mode: "add" | "edit";
  /** Editing one's own account: the API refuses a change of one's own role or disabling oneself, and
   * one's own password belongs to the Profile page (which asks for the current one). */
  self?: boolean;
}

export function PersonFields({ draft, onChange, errors, roles, companies, mode, self = false }: Props) {
  const id = useId();
  const [showPassword, setShowPassword] = useState(false);
  const err = (field: string) => errors.fields[field];
  const companyErrors = err("company_ids");
  const toggleCompany = (companyId: string, on: boolean) =>
    onChange({ company_ids: on ? [...draft.company_ids, companyId] : draft.company_ids.filter((c) => c !== companyId) });

  return (
    <div className="space-y-3">
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Email" errors={err("email")}>
          <input type="email" autoComplete="off" value={draft.email} onChange={(e) => onChange({ email: e.target.value })} />
        </Field>
        <Field label="Name" errors={err("name")}>
          <input autoComplete="off" value={draft.name} onChange={(e) => onChange({ name: e.target.value })} />
        </Field>
        {!self && (
          <Field label="Role" errors={err("role")}>
            <select value={draft.role} onChange={(e) => onChange({ role: e.target.value as Role })}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label="Category" hint="What they handle, e.g. Network or Database; blank for none" errors={err("category")}>
          <input list={`${id}-categories`} autoComplete="off" value={draft.category} onChange={(e) => onChange({ category: e.target.value })} />
        </Field>
        <datalist id={`${id}-categories`}>
          {CATEGORY_SUGGESTIONS.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
      </div>

      <fieldset aria-describedby={companyErrors ? `${id}-companies-error` : undefined}>
        <legend className="label">Companies</legend>
        <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
          {companies.map((c) => (
            <label key={c.id} className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={draft.company_ids.includes(c.id)} onChange={(e) => toggleCompany(c.id, e.target.checked)} />
              {c.name}
            </label>
          ))}
        </div>
        {draft.role === "msp_admin" && <p className="mt-1 text-xs text-slate-600">An MSP admin sees every company; memberships are optional.</p>}
        {companyErrors && (
          <p id={`${id}-companies-error`} className="mt-1 text-sm text-red-800" data-testid="field-error">
            {companyErrors.join("; ")}
          </p>
        )}
      </fieldset>

      {self ? (
        <p className="text-sm text-slate-600">Your own password is changed on your Profile page.</p>
      ) : (
        <div className="space-y-2">
          <Field
            className="max-w-xl"
            label={mode === "add" ? "First password" : "New password"}
            hint={
              mode === "add"
                ? "At least 12 characters, not a common password. Hand it on; they can change it on their profile."
                : "Blank keeps the current one. A new one signs them out on every device."
            }
            errors={err("password")}
          >
            <input
              type={showPassword ? "text" : "password"}
              autoComplete="new-password"
              value={draft.password}
              onChange={(e) => onChange({ password: e.target.value })}
            />
          </Field>
          <div className="flex flex-wrap gap-2">
            <button type="button" className="btn-secondary" onClick={() => setShowPassword((s) => !s)}>
              {showPassword ? "Hide password" : "Show password"}
            </button>
            <button
              type="button"
              className="btn-secondary"
              onClick={() => {
                onChange({ password: suggestPassword() });
                setShowPassword(true);
              }}
            >
              Suggest a password
            </button>
          </div>
        </div>
      )}

      {mode === "edit" && !self && (
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={draft.disabled} onChange={(e) => onChange({ disabled: e.target.checked })} />
          Account disabled: cannot sign in or be assigned; their history keeps their name
        </label>
      )}
      {err("disabled") && <p className="text-sm text-red-800">{err("disabled")!.join("; ")}</p>}
    </div>
  );
}
