// API keys and the HMAC secret: issue, revoke, rotate. A new key or secret is shown once, here.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { ApiKey, ApiKeyIssued, Company, HmacRotated } from "../../api/pageTypes";
import { useApi } from "../../auth/AuthContext";
import type { SnippetCredentials } from "../../lib/integrationSnippets";
import { formatTime } from "../../lib/time";
import { CopyBox, Field, FormErrors } from "../forms/Field";
import { Empty, ErrorState, Loading } from "../states";

interface Props {
  company: Company;
  fresh: SnippetCredentials;
  onIssued: (creds: Partial<SnippetCredentials>) => void;
}

export function Credentials({ company, fresh, onIssued }: Props) {
  const api = useApi();
  const queryClient = useQueryClient();
  const keysKey = ["companies", company.id, "api-keys"];
  const keys = useQuery({ queryKey: keysKey, queryFn: () => api.get<ApiKey[]>(`/api/companies/${company.id}/api-keys`) });
  const [revokeOthers, setRevokeOthers] = useState(false);
  const [graceHours, setGraceHours] = useState("24");
  const refresh = () => queryClient.invalidateQueries({ queryKey: keysKey });

  const issue = useMutation({
    mutationFn: () =>
      api.post<ApiKeyIssued>(`/api/companies/${company.id}/api-keys`, revokeOthers ? { revoke_existing: true } : {}),
    onSuccess: (issued) => {
      onIssued({ apiKey: issued.api_key });
      void refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(`/api/companies/${company.id}/api-keys/${id}`),
    onSettled: refresh,
  });
  const rotate = useMutation({
    mutationFn: () =>
      api.post<HmacRotated>(`/api/companies/${company.id}/hmac-secret/rotate`, {
        grace_hours: /^\d+$/.test(graceHours.trim()) ? Number(graceHours) : graceHours,
      }),
    onSuccess: (rotated) => {
      onIssued({ hmacSecret: rotated.hmac_secret });
      void queryClient.invalidateQueries({ queryKey: ["companies"] });
    },
  });

  return (
    <div className="space-y-4">
      <section className="card" aria-labelledby="keys">
        <h2 id="keys" className="text-lg font-semibold">API keys</h2>
        <p className="text-sm text-slate-600">Monitoring tools send alerts with one of these. A new key is shown once: copy it now.</p>
        {fresh.apiKey && (
          <div className="mt-2 rounded-md border border-amber-300 bg-amber-50 p-3" data-testid="issued-key">
            <p className="text-sm font-medium text-amber-950">New API key, shown only now. It is also filled into the Integrations snippets until you leave this page.</p>
            <CopyBox label="New API key" value={fresh.apiKey} testId="secret-value" />
          </div>
        )}
        <div className="mt-3">
          {keys.isPending ? (
            <Loading what="API keys" />
          ) : keys.isError ? (
            <ErrorState error={keys.error} what="API keys" retry={() => void keys.refetch()} />
          ) : keys.data.length === 0 ? (
            <Empty title="No API keys">Issue one; alerts are refused without a key.</Empty>
          ) : (
            <ul className="divide-y divide-slate-200" data-testid="api-keys">
              {keys.data.map((k) => (
                <li key={k.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                  <span>
                    <span className="font-mono">{k.prefix}…</span> issued {formatTime(k.created_at)}
                    {k.expires_at && <> · expires {formatTime(k.expires_at)}</>}
                    {!k.active && <span className="ml-2 rounded bg-slate-200 px-1.5 text-xs">inactive</span>}
                  </span>
                  <button type="button" className="btn-secondary" aria-label={`Revoke key ${k.prefix}`} disabled={revoke.isPending} onClick={() => revoke.mutate(k.id)}>
                    Revoke
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="mt-3 flex flex-wrap items-center gap-3">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={revokeOthers} onChange={(e) => setRevokeOthers(e.target.checked)} />
            Revoke the other keys at once
          </label>
          <button type="button" className="btn-primary" disabled={issue.isPending} onClick={() => issue.mutate()}>
            Issue a new API key
          </button>
        </div>
        {issue.isError && <FormErrors errors={[`Could not issue a key: ${issue.error.message}`]} />}
        {revoke.isError && <FormErrors errors={[`Could not revoke the key: ${revoke.error.message}`]} />}
      </section>

      <section className="card" aria-labelledby="hmac">
        <h2 id="hmac" className="text-lg font-semibold">HMAC secret</h2>
        <p className="text-sm text-slate-600">
          Signs generic and Zabbix webhooks. After a rotation the old secret keeps verifying for the grace period.
          {company.hmac_previous_valid_until && <> The previous secret works until {formatTime(company.hmac_previous_valid_until)}.</>}
        </p>
        {fresh.hmacSecret && (
          <div className="mt-2 rounded-md border border-amber-300 bg-amber-50 p-3" data-testid="rotated-secret">
            <p className="text-sm font-medium text-amber-950">New HMAC secret, shown only now: copy it into your senders.</p>
            <CopyBox label="New HMAC secret" value={fresh.hmacSecret} testId="secret-value" />
          </div>
        )}
        <div className="mt-3 flex flex-wrap items-end gap-3">
          <Field label="Grace period (hours)" errors={rotate.isError ? [rotate.error.message] : undefined}>
            <input inputMode="numeric" value={graceHours} onChange={(e) => setGraceHours(e.target.value)} />
          </Field>
          <button type="button" className="btn-primary" disabled={rotate.isPending} onClick={() => rotate.mutate()}>
            Rotate the HMAC secret
          </button>
        </div>
      </section>
    </div>
  );
}
