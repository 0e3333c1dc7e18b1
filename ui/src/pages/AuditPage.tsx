// The audit log: who changed what, filtered in the address, paged, and exported whole as CSV.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { withQuery } from "../api/client";
import type { AuditPage as AuditPageData } from "../api/pageTypes";
import { useApi, useAuth } from "../auth/AuthContext";
import { Field, FormErrors } from "../components/forms/Field";
import { Empty, ErrorState, Loading, PageHeader } from "../components/states";
import {
  AUDIT_PAGE_SIZE,
  auditFilterCount,
  auditFiltersFromSearch,
  auditFiltersToSearch,
  auditQuery,
  NO_AUDIT_FILTERS,
  type AuditFilters,
} from "../lib/auditFilters";
import { downloadFile } from "../lib/download";
import { companyName, useCompanies } from "../lib/hooks/useCompanies";
import { useUserName } from "../lib/hooks/useDirectory";
import { formatTime } from "../lib/time";
import { DataTable } from "../components/DataTable";

export function AuditPage() {
  const api = useApi();
  const { session } = useAuth();
  const [params, setParams] = useSearchParams();
  const filters = auditFiltersFromSearch(params);
  const companies = useCompanies();
  const name = useUserName();
  const [exportError, setExportError] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const log = useQuery({
    queryKey: ["audit", filters],
    queryFn: () => api.get<AuditPageData>("/api/audit", auditQuery(filters)),
    placeholderData: keepPreviousData,
  });
  const go = (next: AuditFilters) => setParams(auditFiltersToSearch(next));

  async function exportCsv() {
    setExporting(true);
    setExportError(null);
    try {
      await downloadFile(session, withQuery("/api/audit.csv", auditQuery(filters, false)), "audit.csv");
    } catch (error) {
      setExportError(`Could not export: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setExporting(false);
    }
  }

  return (
    <>
      <PageHeader title="Audit log">
        <button type="button" className="btn-secondary" disabled={exporting} onClick={() => void exportCsv()}>
          {exporting ? "Exporting…" : "Export CSV"}
        </button>
      </PageHeader>
      <AuditFilterForm key={params.toString()} initial={filters} companies={companies.data ?? []} onApply={go} />
      {exportError && <div className="mt-3"><FormErrors errors={[exportError]} /></div>}
      <div className="mt-4">
        {log.isPending ? (
          <Loading what="the audit log" />
        ) : log.isError ? (
          <ErrorState error={log.error} what="the audit log" retry={() => void log.refetch()} />
        ) : log.data.total === 0 ? (
          <Empty title={auditFilterCount(filters) ? "No entry matches these filters" : "No audit entries yet"}>
            {auditFilterCount(filters) ? "Clear or loosen the filters." : "Changes to companies, runbooks, users and sign-ins are recorded here."}
          </Empty>
        ) : (
          <>
            <p className="mb-2 text-sm text-slate-700" aria-live="polite" data-testid="audit-total">
              {log.data.total} entr{log.data.total === 1 ? "y" : "ies"}; showing {log.data.offset + 1}–
              {log.data.offset + log.data.items.length}
            </p>
            <DataTable
              testId="audit-table"
              caption="Audit entries, newest first"
              columns={["When", "Actor", "Action", "Company", "Object", "Change"]}
              alignTop
            >
              {log.data.items.map((e) => (
                <tr key={e.id}>
                  <td className="px-3 py-2 whitespace-nowrap">{formatTime(e.at)}</td>
                  <td className="px-3 py-2">
                    {name(e.actor)}
                    {name(e.actor) !== e.actor && <span className="block font-mono text-xs text-slate-600">{e.actor}</span>}
                  </td>
                  <td className="px-3 py-2 font-mono text-xs">{e.action}</td>
                  <td className="px-3 py-2">{e.company_id ? companyName(companies.data, e.company_id) : "—"}</td>
                  <td className="px-3 py-2 font-mono text-xs">
                    {e.object_type} {e.object_id}
                  </td>
                  <td className="px-3 py-2">
                    {e.before || e.after ? (
                      <details>
                        <summary className="cursor-pointer text-indigo-800 underline">before / after</summary>
                        <pre className="mt-1 max-w-md overflow-x-auto text-xs">{JSON.stringify({ before: e.before, after: e.after }, null, 2)}</pre>
                      </details>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </DataTable>
            <nav aria-label="Audit pages" className="mt-3 flex gap-2">
              <button type="button" className="btn-secondary" disabled={filters.page === 0} onClick={() => go({ ...filters, page: filters.page - 1 })}>
                Newer
              </button>
              <button
                type="button"
                className="btn-secondary"
                disabled={log.data.offset + AUDIT_PAGE_SIZE >= log.data.total}
                onClick={() => go({ ...filters, page: filters.page + 1 })}
              >
                Older
              </button>
            </nav>
          </>
        )}
      </div>
    </>
  );
}

function AuditFilterForm({
  initial,
  companies,
  onApply,
}: {
  initial: AuditFilters;
  companies: { id: string; name: string }[];
  onApply: (f: AuditFilters) => void;
}) {
  const [draft, setDraft] = useState(initial);
  const set = (key: keyof AuditFilters, value: string) => setDraft((d) => ({ ...d, [key]: value }));
  function submit(event: FormEvent) {
    event.preventDefault();
    onApply({ ...draft, page: 0 });
  }
  return (
    <form role="search" aria-label="Filter the audit log" className="card grid gap-3 sm:grid-cols-2 lg:grid-cols-4" onSubmit={submit}>
      <Field label="Company">
        <select value={draft.company_id} onChange={(e) => set("company_id", e.target.value)}>
          <option value="">Any</option>
          {companies.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Action" hint="e.g. runbook.create">
        <input value={draft.action} onChange={(e) => set("action", e.target.value)} />
      </Field>
      <Field label="Actor" hint="a user id, or system">
        <input value={draft.actor} onChange={(e) => set("actor", e.target.value)} />
      </Field>
      <Field label="Object type" hint="e.g. runbook, company">
        <input value={draft.object_type} onChange={(e) => set("object_type", e.target.value)} />
      </Field>
      <Field label="Object id">
        <input value={draft.object_id} onChange={(e) => set("object_id", e.target.value)} />
      </Field>
      <Field label="From">
        <input type="datetime-local" value={draft.since} onChange={(e) => set("since", e.target.value)} />
      </Field>
      <Field label="To">
        <input type="datetime-local" value={draft.until} onChange={(e) => set("until", e.target.value)} />
      </Field>
      <div className="flex items-end gap-2">
        <button type="submit" className="btn-primary">
          Apply filters
        </button>
        <button type="button" className="btn-secondary" onClick={() => onApply(NO_AUDIT_FILTERS)}>
          Clear
        </button>
      </div>
    </form>
  );
}
