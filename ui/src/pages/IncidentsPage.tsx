import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import type { IncidentPage } from "../api/types";
import { useApi, useAuth, useMe } from "../auth/AuthContext";
import { SeverityBadge, StatusBadge } from "../components/badges";
import { Empty, ErrorState, Loading, PageHeader } from "../components/states";
import {
  activeFilterCount,
  filtersFromSearch,
  filtersToQuery,
  filtersToSearch,
  NO_FILTERS,
  SEVERITIES,
  SORTS,
  STATUSES,
  type IncidentFilters,
} from "../lib/incidentFilters";
import { formatTime } from "../lib/time";
import { useLiveRefresh } from "../live/useLiveRefresh";
import { DataTable } from "../components/DataTable";

interface CompanyRef {
  id: string;
  name: string;
}

export function IncidentsPage() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const filters = filtersFromSearch(params);
  const list = useInfiniteQuery({
    queryKey: ["incidents", "list", filters],
    queryFn: ({ pageParam }) => api.get<IncidentPage>("/api/incidents", filtersToQuery(filters, pageParam)),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  useLiveRefresh([["incidents", "list"]], (e) => e.incident_id !== null, 500);

  return (
    <>
      <PageHeader title="Incidents" />
      <FilterForm key={params.toString()} initial={filters} onApply={(f) => setParams(filtersToSearch(f))} />
      <div className="mt-4">
        {list.isPending ? (
          <Loading what="incidents" />
        ) : list.isError ? (
          <ErrorState error={list.error} what="incidents" retry={() => void list.refetch()} />
        ) : list.data.pages[0]!.total === 0 ? (
          <Empty title={activeFilterCount(filters) ? "No incident matches these filters" : "No incidents yet"}>
            {activeFilterCount(filters) ? "Clear or loosen the filters." : "Incidents appear here, live, as alerts open them."}
          </Empty>
        ) : (
          <>
            <p className="mb-2 text-sm text-slate-700" aria-live="polite">
              {list.data.pages[0]!.total} incident{list.data.pages[0]!.total === 1 ? "" : "s"}
            </p>
            <IncidentTable pages={list.data.pages} />
            {list.hasNextPage && (
              <button type="button" className="btn-secondary mt-3" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                {list.isFetchingNextPage ? "Loading…" : "Show more"}
              </button>
            )}
          </>
        )}
      </div>
    </>
  );
}

function IncidentTable({ pages }: { pages: IncidentPage[] }) {
  const items = pages.flatMap((p) => p.items);
  return (
    <DataTable
      testId="incident-table"
      caption="Incidents"
      columns={["Incident", "Asset", "Severity", "Status", "Priority", "Alerts", "Updated"]}
    >
      {items.map((incident) => (
        <tr key={incident.id} className="hover:bg-slate-50">
          <td className="px-3 py-2">
            <Link to={`/incidents/${incident.id}`} className="font-medium text-indigo-800 underline">
              {incident.title}
            </Link>
            {incident.remediation?.status === "awaiting_approval" && (
              <span className="ml-2 rounded bg-amber-100 px-1.5 text-xs text-amber-950">awaiting approval</span>
            )}
          </td>
          <td className="px-3 py-2">{incident.asset_name}</td>
          <td className="px-3 py-2"><SeverityBadge severity={incident.severity} /></td>
          <td className="px-3 py-2"><StatusBadge status={incident.status} /></td>
          <td className="px-3 py-2">{incident.priority_score}</td>
          <td className="px-3 py-2">{incident.alert_count}</td>
          <td className="px-3 py-2 whitespace-nowrap">{formatTime(incident.updated_at)}</td>
        </tr>
      ))}
    </DataTable>
  );
}

function FilterForm({ initial, onApply }: { initial: IncidentFilters; onApply: (f: IncidentFilters) => void }) {
  const api = useApi();
  const { can } = useAuth();
  const me = useMe();
  const [draft, setDraft] = useState(initial);
  const companies = useQuery({
    queryKey: ["companies", "refs"],
    queryFn: () => api.get<CompanyRef[]>("/api/companies"),
    enabled: can("companies:read"),
    staleTime: 300_000,
  });
  const set = (key: keyof IncidentFilters) => (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(draft);
  };
  return (
    <form onSubmit={submit} className="card grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4" aria-label="Filter incidents">
      <div className="sm:col-span-2">
        <label htmlFor="f-q" className="label">Search</label>
        <input id="f-q" type="search" className="field mt-1" placeholder="asset, signature or alert text" value={draft.q} onChange={set("q")} maxLength={200} />
      </div>
      <div>
        <label htmlFor="f-status" className="label">Status</label>
        <select id="f-status" className="field mt-1" value={draft.status} onChange={set("status")}>
          <option value="">Any (open and resolved)</option>
          {STATUSES.map((s) => <option key={s} value={s}>{s.replace("_", " ")}</option>)}
        </select>
      </div>
      <div>
        <label htmlFor="f-severity" className="label">Severity</label>
        <select id="f-severity" className="field mt-1" value={draft.severity} onChange={set("severity")}>
          <option value="">Any</option>
          {SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </div>
      {companies.data && companies.data.length > 1 && (
        <div>
          <label htmlFor="f-company" className="label">Company</label>
          <select id="f-company" className="field mt-1" value={draft.company_id} onChange={set("company_id")}>
            <option value="">All my companies</option>
            {companies.data.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </div>
      )}
      <div>
        <label htmlFor="f-assignee" className="label">Assignee</label>
        <select id="f-assignee" className="field mt-1" value={draft.assignee} onChange={set("assignee")}>
          <option value="">Anyone</option>
          <option value={me.id}>Me</option>
          {draft.assignee && draft.assignee !== me.id && <option value={draft.assignee}>{draft.assignee}</option>}
        </select>
      </div>
      <div>
        <label htmlFor="f-from" className="label">Created from</label>
        <input id="f-from" type="date" className="field mt-1" value={draft.created_from} onChange={set("created_from")} />
      </div>
      <div>
        <label htmlFor="f-to" className="label">Created to</label>
        <input id="f-to" type="date" className="field mt-1" value={draft.created_to} onChange={set("created_to")} />
      </div>
      <div>
        <label htmlFor="f-sort" className="label">Sort by</label>
        <select id="f-sort" className="field mt-1" value={draft.sort} onChange={set("sort")}>
          {SORTS.map((s) => <option key={s} value={s}>{s === "updated" ? "last updated" : s === "created" ? "newest" : "priority"}</option>)}
        </select>
      </div>
      <div className="flex items-end gap-2 sm:col-span-2 lg:col-span-4">
        <button type="submit" className="btn-primary">Apply filters</button>
        <button type="button" className="btn-secondary" onClick={() => { setDraft(NO_FILTERS); onApply(NO_FILTERS); }}>
          Clear
        </button>
      </div>
    </form>
  );
}
