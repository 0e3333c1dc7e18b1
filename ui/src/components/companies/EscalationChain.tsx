// The company's escalation chain: who hears about an unanswered incident, level by level.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Chain, Company } from "../../api/pageTypes";
import { useApi, useAuth } from "../../auth/AuthContext";
import { fieldErrorsOf, NO_ERRORS, type FieldErrors } from "../../lib/fieldErrors";
import { useUserName } from "../../lib/hooks/useDirectory";
import { useUsers } from "../../lib/hooks/useUsers";
import { Field, FormErrors } from "../forms/Field";
import { ErrorState, Loading } from "../states";

type Level = Chain["levels"][number];
const ROLES = ["technician", "company_admin", "msp_admin"] as const;

function describe(level: Level, name: (id: string) => string): string {
  const who = [
    level.notify.oncall ? "on call now" : null,
    ...(level.notify.roles ?? []).map((r) => `every ${r.replace("_", " ")}`),
    ...(level.notify.user_ids ?? []).map(name),
  ].filter(Boolean);
  return `${who.join(", ") || "nobody"}; wait ${level.wait_minutes} min${level.reassign ? "; reassign" : ""}`;
}

export function EscalationChain({ company }: { company: Company }) {
  const api = useApi();
  const { can } = useAuth();
  const chains = useQuery({
    queryKey: ["escalation-chains", company.id],
    queryFn: () => api.get<Chain[]>("/api/escalation-chains", { company_id: company.id }),
  });
  const name = useUserName();
  if (chains.isPending) return <Loading what="the escalation chain" />;
  if (chains.isError) return <ErrorState error={chains.error} what="the escalation chain" retry={() => void chains.refetch()} />;
  const chain = chains.data[0];
  return (
    <div className="space-y-4">
      <section className="card" aria-labelledby="chain">
        <h2 id="chain" className="text-lg font-semibold">Escalation chain{chain && `: ${chain.name}`}</h2>
        {chain?.default && <p className="text-sm text-slate-600">This company follows the default chain; saving below gives it its own.</p>}
        <ol className="mt-2 list-decimal space-y-1 pl-6 text-sm" data-testid="chain-levels">
          {chain?.levels.map((level) => <li key={level.level}>{describe(level, name)}</li>)}
        </ol>
      </section>
      {can("oncall:manage") && chain && <ChainEditor company={company} chain={chain} />}
    </div>
  );
}

function ChainEditor({ company, chain }: { company: Company; chain: Chain }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const users = useUsers(company.id);
  const [name, setName] = useState(chain.default ? `${company.name} escalation` : chain.name);
  const [levels, setLevels] = useState<Level[]>(chain.levels);
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);
  const change = (index: number, next: Partial<Level>) => {
    setSaved(false);
    setLevels((all) => all.map((l, i) => (i === index ? { ...l, ...next } : l)));
  };
  const notify = (index: number, next: Partial<Level["notify"]>) => change(index, { notify: { ...levels[index]!.notify, ...next } });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const numbered = levels.map((l, i) => ({ ...l, level: i + 1 }));
    try {
      if (chain.default || !chain.id) await api.post("/api/escalation-chains", { company_id: company.id, name, levels: numbered });
      else await api.put(`/api/escalation-chains/${chain.id}`, { name, levels: numbered });
      setErrors(NO_ERRORS);
      setSaved(true);
      void queryClient.invalidateQueries({ queryKey: ["escalation-chains", company.id] });
    } catch (error) {
      setErrors(fieldErrorsOf(error, ["levels"]));
    }
  }

  return (
    <form noValidate aria-label="Edit the escalation chain" className="card space-y-3" onSubmit={(e) => void submit(e)}>
      <Field label="Chain name" errors={errors.fields.name}>
        <input value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <ol className="space-y-3">
        {levels.map((level, index) => (
          <li key={index} className="rounded-md border border-slate-200 p-3">
            <fieldset>
              <legend className="text-sm font-semibold">Level {index + 1}</legend>
              <div className="mt-2 flex flex-wrap gap-4 text-sm">
                <label className="flex items-center gap-1">
                  <input type="checkbox" checked={level.notify.oncall ?? false} onChange={(e) => notify(index, { oncall: e.target.checked })} />
                  whoever is on call
                </label>
                {ROLES.map((role) => (
                  <label key={role} className="flex items-center gap-1">
                    <input
                      type="checkbox"
                      checked={(level.notify.roles ?? []).includes(role)}
                      onChange={(e) =>
                        notify(index, { roles: e.target.checked ? [...(level.notify.roles ?? []), role] : (level.notify.roles ?? []).filter((r) => r !== role) })
                      }
                    />
                    every {role.replace("_", " ")}
                  </label>
                ))}
                <label className="flex items-center gap-1">
                  <input type="checkbox" checked={level.reassign ?? false} onChange={(e) => change(index, { reassign: e.target.checked })} />
                  reassign to the first named user
                </label>
              </div>
              <div className="mt-2 grid gap-3 sm:grid-cols-2">
                <Field label={`Level ${index + 1} people`} hint="Ctrl/Cmd-click for several">
                  <select
                    multiple
                    value={level.notify.user_ids ?? []}
                    onChange={(e) => notify(index, { user_ids: Array.from(e.target.selectedOptions, (o) => o.value) })}
                  >
                    {(users.data ?? []).map((u) => (
                      <option key={u.id} value={u.id}>
                        {u.name || u.email} ({u.role.replace("_", " ")})
                      </option>
                    ))}
                  </select>
                </Field>
                <Field label={`Level ${index + 1} wait (minutes)`} hint="Before the next level; on the last, before reminding">
                  <input
                    inputMode="numeric"
                    value={String(level.wait_minutes)}
                    onChange={(e) => change(index, { wait_minutes: (/^\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value) as number })}
                  />
                </Field>
              </div>
              {levels.length > 1 && (
                <button type="button" className="btn-secondary mt-2" onClick={() => setLevels((all) => all.filter((_, i) => i !== index))}>
                  Remove level {index + 1}
                </button>
              )}
            </fieldset>
          </li>
        ))}
      </ol>
      {errors.fields.levels && <p className="text-sm text-red-800" data-testid="field-error">{errors.fields.levels.join("; ")}</p>}
      <FormErrors errors={errors.form} />
      {saved && <p role="status" className="text-sm text-emerald-800">Escalation chain saved.</p>}
      <div className="flex flex-wrap gap-2">
        <button
          type="button"
          className="btn-secondary"
          disabled={levels.length >= 10}
          onClick={() => setLevels((all) => [...all, { level: all.length + 1, notify: { oncall: false, roles: ["company_admin"], user_ids: [] }, wait_minutes: 15, reassign: false }])}
        >
          Add a level
        </button>
        <button type="submit" className="btn-primary">Save escalation chain</button>
      </div>
    </form>
  );
}
