// Technicians of a company (components/technicians/People.tsx: figures, and adding and editing people), who is on
// call now, and the company's on-call schedules with their editor.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import type { CompanyOnCall, Schedule } from "../api/pageTypes";
import { useApi, useAuth } from "../auth/AuthContext";
import { Field } from "../components/forms/Field";
import { Empty, ErrorState, Loading, PageHeader } from "../components/states";
import { People } from "../components/technicians/People";
import { ScheduleEditor } from "../components/technicians/ScheduleEditor";
import { companyName, useCompanies } from "../lib/hooks/useCompanies";
import { useUserName } from "../lib/hooks/useDirectory";
import { useUsers } from "../lib/hooks/useUsers";
import { formatTime } from "../lib/time";

export function TechniciansPage() {
  const [params, setParams] = useSearchParams();
  const companies = useCompanies();
  if (companies.isPending) return <Loading what="companies" />;
  if (companies.isError) return <ErrorState error={companies.error} what="companies" retry={() => void companies.refetch()} />;
  if (companies.data.length === 0)
    return (
      <>
        <PageHeader title="Technicians and on-call" />
        <Empty title="No companies yet">Technicians and schedules belong to a client company; add one first.</Empty>
      </>
    );
  const companyId = companies.data.find((c) => c.id === params.get("company"))?.id ?? companies.data[0]!.id;
  return (
    <>
      <PageHeader title="Technicians and on-call">
        <Field label="Company">
          <select value={companyId} onChange={(e) => setParams({ company: e.target.value })}>
            {companies.data.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </Field>
      </PageHeader>
      <div className="space-y-4" key={companyId}>
        <OnCallNow companyId={companyId} />
        <People companyId={companyId} />
        <Schedules companyId={companyId} companyLabel={companyName(companies.data, companyId)} />
      </div>
    </>
  );
}

function OnCallNow({ companyId }: { companyId: string }) {
  const api = useApi();
  const name = useUserName();
  const now = useQuery({
    queryKey: ["oncall-now", companyId],
    queryFn: () => api.get<CompanyOnCall>(`/api/oncall/${companyId}/now`),
    refetchInterval: 60_000,
  });
  return (
    <section className="card" aria-labelledby="now">
      <h2 id="now" className="text-lg font-semibold">On call now</h2>
      {now.isPending ? (
        <Loading what="who is on call" />
      ) : now.isError ? (
        <ErrorState error={now.error} what="who is on call" retry={() => void now.refetch()} />
      ) : now.data.schedules.length === 0 ? (
        <Empty title="No schedule">Nobody is on call: incidents go unassigned until a schedule exists.</Empty>
      ) : (
        <ul className="mt-2 space-y-1 text-sm" data-testid="on-call-now">
          {now.data.schedules.map((s) => (
            <li key={s.schedule_id}>
              <span className="font-medium">{s.name}</span>:{" "}
              {s.user_id ? name(s.user_id) : "nobody"}
              {s.until && <> until {formatTime(s.until)}</>}
              {s.by_override && <span className="ml-2 rounded bg-sky-100 px-1.5 text-xs text-sky-950">override</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Schedules({ companyId, companyLabel }: { companyId: string; companyLabel: string }) {
  const api = useApi();
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const users = useUsers(companyId);
  const schedules = useQuery({
    queryKey: ["schedules", companyId],
    queryFn: () => api.get<Schedule[]>("/api/schedules", { company_id: companyId }),
  });
  const [editing, setEditing] = useState<Schedule | "new" | null>(null);
  const manage = can("oncall:manage");
  const saved = () => {
    setEditing(null);
    void queryClient.invalidateQueries({ queryKey: ["schedules", companyId] });
    void queryClient.invalidateQueries({ queryKey: ["oncall-now", companyId] });
  };
  const name = useUserName();

  return (
    <section className="card" aria-labelledby="schedules">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="schedules" className="text-lg font-semibold">On-call schedules of {companyLabel}</h2>
        {manage && editing === null && (
          <button type="button" className="btn-primary" onClick={() => setEditing("new")}>
            New schedule
          </button>
        )}
      </div>
      {editing !== null && (
        <div className="mt-3">
          <ScheduleEditor
            companyId={companyId}
            schedule={editing === "new" ? undefined : editing}
            users={(users.data ?? []).filter((u) => !u.disabled)}
            onSaved={saved}
            onCancel={() => setEditing(null)}
          />
        </div>
      )}
      <div className="mt-3">
        {schedules.isPending ? (
          <Loading what="schedules" />
        ) : schedules.isError ? (
          <ErrorState error={schedules.error} what="schedules" retry={() => void schedules.refetch()} />
        ) : schedules.data.length === 0 ? (
          <Empty title="No schedules yet">{manage ? "Create one with “New schedule”." : "An administrator sets them up."}</Empty>
        ) : (
          <ul className="space-y-3" data-testid="schedule-list">
            {schedules.data.map((s) => (
              <li key={s.id} className="rounded-md border border-slate-200 p-3 text-sm">
                <div className="flex flex-wrap items-center justify-between gap-2">
                  <p className="font-medium">
                    {s.name} <span className="font-normal text-slate-600">({s.timezone})</span>
                  </p>
                  {manage && editing === null && (
                    <button type="button" className="btn-secondary" aria-label={`Edit schedule ${s.name}`} onClick={() => setEditing(s)}>
                      Edit
                    </button>
                  )}
                </div>
                <ul className="mt-1 list-disc pl-5">
                  {s.layers.map((l) => (
                    <li key={l.name}>
                      {l.name}: {l.rotation}
                      {l.rotation === "custom" && ` every ${l.shift_hours} h`}, hand-off {l.handoff_time} from {l.starts_on};{" "}
                      {l.participants.map(name).join(" → ")}
                    </li>
                  ))}
                </ul>
                {s.overrides.length > 0 && (
                  <ul className="mt-1 list-disc pl-5 text-slate-700">
                    {s.overrides.map((o, i) => (
                      <li key={i}>
                        {o.replaces_user_id ? `Swap: ${name(o.user_id)} for ${name(o.replaces_user_id)}` : `Override: ${name(o.user_id)}`}{" "}
                        {formatTime(o.starts_at)} – {formatTime(o.ends_at)}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
