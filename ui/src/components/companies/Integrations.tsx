// Set-up snippets per monitoring tool (this server's URLs, the company's credentials when just issued)
// and the per-tool settings the API keeps (integration_settings).
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Company } from "../../api/pageTypes";
import { useApi, useAuth } from "../../auth/AuthContext";
import { fieldErrorsOf, NO_ERRORS, type FieldErrors } from "../../lib/fieldErrors";
import { snippets, type SnippetCredentials } from "../../lib/integrationSnippets";
import { CopyBox, Field, FormErrors } from "../forms/Field";

export function Integrations({ company, fresh }: { company: Company; fresh: SnippetCredentials }) {
  const { can } = useAuth();
  return (
    <div className="space-y-4">
      {!fresh.apiKey && (
        <p className="rounded-md border border-sky-200 bg-sky-50 p-3 text-sm text-sky-950">
          Keys are shown once. {can("companies:credentials") ? "Issue a key or rotate the secret under Credentials and the snippets fill in with it." : "An administrator issues them."}
        </p>
      )}
      <ul className="grid gap-4 xl:grid-cols-2">
        {snippets(window.location.origin, fresh).map((s) => (
          <li key={s.tool} className="card" data-testid={`snippet-${s.tool}`}>
            <h2 className="text-lg font-semibold">{s.title}</h2>
            <p className="mt-1 text-sm text-slate-700">{s.steps}</p>
            <CopyBox label={`${s.title} set-up`} value={s.code} />
          </li>
        ))}
      </ul>
      {can("companies:update") && <IntegrationSettingsForm company={company} />}
    </div>
  );
}

function IntegrationSettingsForm({ company }: { company: Company }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const current = company.integration_settings;
  const [requireSignature, setRequireSignature] = useState(current?.datadog?.require_signature ?? false);
  const [labels, setLabels] = useState({
    asset_label: current?.alertmanager?.asset_label ?? "instance",
    severity_label: current?.alertmanager?.severity_label ?? "severity",
    signature_label: current?.alertmanager?.signature_label ?? "alertname",
  });
  const [topics, setTopics] = useState((current?.cloudwatch?.allowed_topic_arns ?? []).join("\n"));
  const [severity, setSeverity] = useState<string>(current?.cloudwatch?.default_severity ?? "high");
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    try {
      await api.put(`/api/companies/${company.id}`, {
        integration_settings: {
          datadog: { require_signature: requireSignature },
          alertmanager: labels,
          cloudwatch: {
            allowed_topic_arns: topics.split("\n").map((t) => t.trim()).filter(Boolean),
            default_severity: severity,
          },
        },
      });
      setErrors(NO_ERRORS);
      setSaved(true);
      void queryClient.invalidateQueries({ queryKey: ["companies"] });
    } catch (error) {
      setErrors(fieldErrorsOf(error, [], "integration_settings"));
    }
  }
  const err = (tool: string) => errors.fields[tool];

  return (
    <form noValidate aria-label="Integration settings" className="card space-y-3" onSubmit={(e) => void submit(e)}>
      <h2 className="text-lg font-semibold">Integration settings</h2>
      <div className="grid gap-3 md:grid-cols-3">
        <Field label="Alertmanager asset label" errors={err("alertmanager")}>
          <input value={labels.asset_label} onChange={(e) => setLabels({ ...labels, asset_label: e.target.value })} />
        </Field>
        <Field label="Alertmanager severity label">
          <input value={labels.severity_label} onChange={(e) => setLabels({ ...labels, severity_label: e.target.value })} />
        </Field>
        <Field label="Alertmanager signature label">
          <input value={labels.signature_label} onChange={(e) => setLabels({ ...labels, signature_label: e.target.value })} />
        </Field>
        <Field label="CloudWatch allowed SNS topic ARNs" hint="One a line: arn:aws:sns:REGION:ACCOUNT:TOPIC" errors={err("cloudwatch")} className="md:col-span-2">
          <textarea rows={2} className="field font-mono" value={topics} onChange={(e) => setTopics(e.target.value)} />
        </Field>
        <Field label="CloudWatch default severity">
          <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
            {["critical", "high", "medium", "low"].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={requireSignature} onChange={(e) => setRequireSignature(e.target.checked)} />
        Datadog: require our HMAC signature as well as the API key
      </label>
      <FormErrors errors={[...errors.form, ...(err("datadog") ?? [])]} />
      {saved && <p role="status" className="text-sm text-emerald-800">Integration settings saved.</p>}
      <button type="submit" className="btn-primary">Save integration settings</button>
    </form>
  );
}
