// Runbooks: the library with risk, history and success rate; create and edit (runbooks:manage).
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, Route, Routes, useNavigate, useParams } from "react-router";
import type { Runbook } from "../api/pageTypes";
import { useApi, useAuth, useMe } from "../auth/AuthContext";
import { RiskBadge } from "../components/runbooks/RiskBadge";
import { RunbookForm } from "../components/runbooks/RunbookForm";
import { Empty, ErrorState, Loading, Notice, PageHeader } from "../components/states";
import { companyName, useCompanies } from "../lib/hooks/useCompanies";
import { percent } from "../lib/runbookForm";
import { formatTime } from "../lib/time";
import { DataTable } from "../components/DataTable";

export function RunbooksPage() {
  return (
    <Routes>
      <Route index element={<RunbookLibrary />} />
      <Route path="new" element={<RunbookEditor />} />
      <Route path=":runbookId" element={<RunbookEditor />} />
    </Routes>
  );
}

function useRunbooks() {
  const api = useApi();
  return useQuery({ queryKey: ["runbooks"], queryFn: () => api.get<Runbook[]>("/api/runbooks") });
}

/** Whether the caller may change this runbook: the API's rule (core/runbooks/service.py), mirrored. */
function mayWrite(role: string, runbook: Runbook): boolean {
  if (role === "msp_admin") return true;
  return role === "company_admin" && runbook.company_id !== null && runbook.executor !== "local";
}

function RunbookLibrary() {
  const { can } = useAuth();
  const me = useMe();
  const runbooks = useRunbooks();
  const companies = useCompanies();
  return (
    <>
      <PageHeader title="Runbooks">
        {can("runbooks:manage") && (
          <Link to="/runbooks/new" className="btn-primary">
            New runbook
          </Link>
        )}
      </PageHeader>
      {runbooks.isPending ? (
        <Loading what="runbooks" />
      ) : runbooks.isError ? (
        <ErrorState error={runbooks.error} what="runbooks" retry={() => void runbooks.refetch()} />
      ) : runbooks.data.length === 0 ? (
        <Empty title="No runbooks yet">
          {can("runbooks:manage") ? "Create one with “New runbook”; alerts whose signature matches will use it." : "An administrator adds runbooks."}
        </Empty>
      ) : (
        <DataTable
          testId="runbook-table"
          caption="Runbooks with their risk and how their runs went"
          columns={["Runbook", "Company", "Risk", "Signatures", "Runs", "Success rate", "Last run"]}
        >
          {runbooks.data.map((r) => (
            <tr key={r.id}>
              <td className="px-3 py-2">
                {can("runbooks:manage") && mayWrite(me.role, r) ? (
                  <Link to={`/runbooks/${r.id}`} className="font-medium text-indigo-800 underline">
                    {r.name}
                  </Link>
                ) : (
                  <span className="font-medium">{r.name}</span>
                )}
                {r.auto_approve && <span className="ml-2 rounded bg-sky-100 px-1.5 text-xs text-sky-950">auto-approve</span>}
                {r.description && <p className="text-xs text-slate-600">{r.description}</p>}
              </td>
              <td className="px-3 py-2">{companyName(companies.data, r.company_id)}</td>
              <td className="px-3 py-2">
                <RiskBadge risk={r.risk_level} />
              </td>
              <td className="px-3 py-2 font-mono text-xs">{r.signatures.join(", ")}</td>
              <td className="px-3 py-2">
                {r.history.runs}
                {r.history.runs > 0 && (
                  <span className="text-xs text-slate-600">
                    {" "}
                    ({r.history.succeeded} ok, {r.history.failed} failed)
                  </span>
                )}
              </td>
              <td className="px-3 py-2" data-testid="success-rate">{percent(r.history.success_rate)}</td>
              <td className="px-3 py-2 whitespace-nowrap">{formatTime(r.history.last_run_at)}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}

function RunbookEditor() {
  const { runbookId } = useParams();
  const { can } = useAuth();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const runbooks = useRunbooks();
  const companies = useCompanies();
  const title = runbookId ? "Edit runbook" : "New runbook";
  if (!can("runbooks:manage")) return <Notice title={title}>Your role reads runbooks but does not write them.</Notice>;
  if (runbooks.isPending || companies.isPending) return <Loading what="the runbook" />;
  if (runbooks.isError) return <ErrorState error={runbooks.error} what="runbooks" retry={() => void runbooks.refetch()} />;
  if (companies.isError) return <ErrorState error={companies.error} what="companies" retry={() => void companies.refetch()} />;
  const runbook = runbookId ? runbooks.data.find((r) => r.id === runbookId) : undefined;
  if (runbookId && !runbook) return <Notice title="Runbook not found">It was deleted, or it is not yours to see.</Notice>;
  return (
    <>
      <PageHeader title={runbook ? `Edit ${runbook.name}` : title} />
      <RunbookForm
        runbook={runbook}
        companies={companies.data}
        onCancel={() => void navigate("/runbooks")}
        onSaved={() => {
          void queryClient.invalidateQueries({ queryKey: ["runbooks"] });
          void navigate("/runbooks");
        }}
      />
    </>
  );
}
