// Where a company's notifications go (Slack incoming webhook) and how its runbooks reach AWS. Both are
// write-only secrets: the API says whether they are set, never what they are.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { AwsAccess, Company, Slack } from "../../api/pageTypes";
import { useApi, useAuth } from "../../auth/AuthContext";
import { fieldErrorsOf, NO_ERRORS, type FieldErrors } from "../../lib/fieldErrors";
import { Field, FormErrors } from "../forms/Field";
import { ErrorState, Loading } from "../states";

export function SlackAws({ company }: { company: Company }) {
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <SlackForm company={company} />
      <AwsForm company={company} />
    </div>
  );
}

function SlackForm({ company }: { company: Company }) {
  const api = useApi();
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const path = `/api/companies/${company.id}/slack`;
  const slack = useQuery({ queryKey: ["slack", company.id], queryFn: () => api.get<Slack>(path) });
  const [url, setUrl] = useState("");
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["slack", company.id] });
  const remove = useMutation({ mutationFn: () => api.delete(path), onSettled: refresh });

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await api.put(path, { webhook_url: url });
      setErrors(NO_ERRORS);
      setUrl("");
      void refresh();
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <section className="card space-y-3" aria-labelledby="slack">
      <h2 id="slack" className="text-lg font-semibold">Slack</h2>
      {slack.isPending ? (
        <Loading what="the Slack setting" />
      ) : slack.isError ? (
        <ErrorState error={slack.error} what="the Slack setting" retry={() => void slack.refetch()} />
      ) : (
        <p className="text-sm" data-testid="slack-status">
          {slack.data.configured ? `Notifications go to a webhook at ${slack.data.host}.` : "Not set: notifications go by email only."}
        </p>
      )}
      {can("companies:credentials") && (
        <form noValidate aria-label="Slack webhook" onSubmit={(e) => void submit(e)} className="space-y-2">
          <Field label="Slack incoming webhook URL" hint="https://hooks.slack.com/services/…; stored encrypted, never shown again" errors={errors.fields.webhook_url}>
            <input type="password" autoComplete="off" value={url} onChange={(e) => setUrl(e.target.value)} />
          </Field>
          <FormErrors errors={errors.form} />
          <div className="flex gap-2">
            <button type="submit" className="btn-primary">Save webhook</button>
            {slack.data?.configured && (
              <button type="button" className="btn-secondary" onClick={() => remove.mutate()}>
                Remove webhook
              </button>
            )}
          </div>
        </form>
      )}
    </section>
  );
}

function AwsForm({ company }: { company: Company }) {
  const api = useApi();
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const path = `/api/companies/${company.id}/aws-access`;
  const aws = useQuery({ queryKey: ["aws", company.id], queryFn: () => api.get<AwsAccess>(path) });
  const [draft, setDraft] = useState({ role_arn: "", external_id: "", region: "", access_key_id: "", secret_access_key: "" });
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [loaded, setLoaded] = useState(false);
  if (aws.data && !loaded) {
    setLoaded(true);
    setDraft((d) => ({ ...d, role_arn: aws.data.role_arn ?? "", external_id: aws.data.external_id ?? "", region: aws.data.region ?? "" }));
  }
  const set = (k: keyof typeof draft, v: string) => setDraft((d) => ({ ...d, [k]: v }));
  const orNull = (v: string) => (v.trim() ? v.trim() : null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await api.put(path, {
        role_arn: orNull(draft.role_arn),
        external_id: orNull(draft.external_id),
        region: orNull(draft.region),
        access_key_id: orNull(draft.access_key_id),
        secret_access_key: orNull(draft.secret_access_key),
      });
      setErrors(NO_ERRORS);
      setDraft((d) => ({ ...d, access_key_id: "", secret_access_key: "" }));
      void queryClient.invalidateQueries({ queryKey: ["aws", company.id] });
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  const editable = can("companies:credentials");
  return (
    <section className="card space-y-3" aria-labelledby="aws">
      <h2 id="aws" className="text-lg font-semibold">AWS access (SSM runbooks)</h2>
      {aws.isPending ? (
        <Loading what="the AWS setting" />
      ) : aws.isError ? (
        <ErrorState error={aws.error} what="the AWS setting" retry={() => void aws.refetch()} />
      ) : (
        <p className="text-sm" data-testid="aws-status">
          {aws.data.role_arn ? `Assumes ${aws.data.role_arn}` : "No role: the worker's own credentials are used."}
          {aws.data.has_access_keys && " Access keys are stored."}
        </p>
      )}
      {editable && (
        <form noValidate aria-label="AWS access" onSubmit={(e) => void submit(e)} className="grid gap-2 sm:grid-cols-2">
          <Field label="Role ARN" errors={errors.fields.role_arn} className="sm:col-span-2">
            <input value={draft.role_arn} onChange={(e) => set("role_arn", e.target.value)} />
          </Field>
          <Field label="External id" errors={errors.fields.external_id}>
            <input value={draft.external_id} onChange={(e) => set("external_id", e.target.value)} />
          </Field>
          <Field label="Region" errors={errors.fields.region}>
            <input value={draft.region} onChange={(e) => set("region", e.target.value)} />
          </Field>
          <Field label="Access key id" hint="Only to replace the stored keys" errors={errors.fields.access_key_id}>
            <input autoComplete="off" value={draft.access_key_id} onChange={(e) => set("access_key_id", e.target.value)} />
          </Field>
          <Field label="Secret access key" errors={errors.fields.secret_access_key}>
            <input type="password" autoComplete="off" value={draft.secret_access_key} onChange={(e) => set("secret_access_key", e.target.value)} />
          </Field>
          <div className="sm:col-span-2">
            <FormErrors errors={errors.form} />
            <p className="mb-2 text-xs text-slate-600">Saving replaces the whole setting: keys left empty are removed.</p>
            <button type="submit" className="btn-primary">Save AWS access</button>
          </div>
        </form>
      )}
    </section>
  );
}
