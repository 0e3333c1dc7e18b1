// The profile's fields, the same when adding a company and when changing one; each shows the API's
// messages about it.
import type { ProfileDraft } from "../../lib/companyProfile";
import { Field } from "../forms/Field";

interface Props {
  draft: ProfileDraft;
  onChange: (change: Partial<ProfileDraft>) => void;
  errors: Record<string, string[]>;
  disabled?: boolean;
}

export function ProfileFields({ draft, onChange, errors, disabled }: Props) {
  return (
    <div className="grid gap-3 md:grid-cols-2">
      <Field label="Company name" errors={errors.name}>
        <input disabled={disabled} autoComplete="organization" value={draft.name} onChange={(e) => onChange({ name: e.target.value })} />
      </Field>
      <Field label="Critical assets" hint="Asset names or ids, one a line: their incidents rank higher" errors={errors.critical_assets}>
        <textarea rows={3} className="field font-mono" disabled={disabled} value={draft.critical_assets} onChange={(e) => onChange({ critical_assets: e.target.value })} />
      </Field>
      <Field
        label="Assets"
        hint="One a line: name as alerts give it, then optionally asset id (an EC2 id lets SSM runbooks target it), kind, tags. E.g. db-prod-01, i-0abc123, database, prod. Several instances per asset are set over the API (instance_ids) and kept here."
        errors={errors.assets}
      >
        <textarea rows={5} className="field font-mono" disabled={disabled} value={draft.assets} onChange={(e) => onChange({ assets: e.target.value })} />
      </Field>
      <Field
        label="Monitoring integrations"
        hint="One a line: tool as alerts name it, display name, and disabled for one that no longer sends. E.g. datadog, Production Datadog"
        errors={errors.monitoring_integrations}
      >
        <textarea
          rows={5}
          className="field font-mono"
          disabled={disabled}
          value={draft.monitoring_integrations}
          onChange={(e) => onChange({ monitoring_integrations: e.target.value })}
        />
      </Field>
    </div>
  );
}
