// Companies and their settings: policy, integrations, credentials, maintenance, escalation, Slack and AWS.
import { useState } from "react";
import { Link, Route, Routes, useParams, useSearchParams } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { Credentials } from "../components/companies/Credentials";
import { EscalationChain } from "../components/companies/EscalationChain";
import { Integrations } from "../components/companies/Integrations";
import { MaintenanceWindows } from "../components/companies/MaintenanceWindows";
import { PolicyForm } from "../components/companies/PolicyForm";
import { SlackAws } from "../components/companies/SlackAws";
import { Empty, ErrorState, Loading, Notice, PageHeader } from "../components/states";
import type { SnippetCredentials } from "../lib/integrationSnippets";
import { useCompanies } from "../lib/hooks/useCompanies";

export function CompaniesPage() {
  return (
    <Routes>
      <Route index element={<CompanyList />} />
      <Route path=":companyId" element={<CompanySettings />} />
    </Routes>
  );
}

function CompanyList() {
  const companies = useCompanies();
  return (
    <>
      <PageHeader title="Companies and settings" />
      {companies.isPending ? (
        <Loading what="companies" />
      ) : companies.isError ? (
        <ErrorState error={companies.error} what="companies" retry={() => void companies.refetch()} />
      ) : companies.data.length === 0 ? (
        <Empty title="No companies yet">An MSP administrator adds client companies (POST /api/companies).</Empty>
      ) : (
        <ul className="grid gap-3 md:grid-cols-2 xl:grid-cols-3" data-testid="company-list">
          {companies.data.map((c) => (
            <li key={c.id} className="card">
              <Link to={`/companies/${c.id}`} className="text-lg font-semibold text-indigo-800 underline">
                {c.name}
              </Link>
              <p className="mt-1 text-sm text-slate-700">
                Risk tolerance {c.policy?.risk_tolerance ?? "low"} · automation {c.policy?.automation === false ? "off" : "on"} ·{" "}
                {c.assets?.length ?? 0} asset{c.assets?.length === 1 ? "" : "s"}
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

const TABS = [
  { id: "policy", label: "Policy", permission: "companies:read" },
  { id: "integrations", label: "Integrations", permission: "companies:read" },
  { id: "credentials", label: "Credentials", permission: "companies:credentials" },
  { id: "maintenance", label: "Maintenance windows", permission: "maintenance:read" },
  { id: "escalation", label: "Escalation chain", permission: "oncall:read" },
  { id: "notifications", label: "Slack and AWS", permission: "companies:credentials" },
] as const;

function CompanySettings() {
  const { companyId } = useParams();
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const companies = useCompanies();
  // Keys and secrets issued here, kept in memory only: the API never shows them again.
  const [fresh, setFresh] = useState<SnippetCredentials>({ apiKey: null, hmacSecret: null });
  if (companies.isPending) return <Loading what="the company" />;
  if (companies.isError) return <ErrorState error={companies.error} what="the company" retry={() => void companies.refetch()} />;
  const company = companies.data.find((c) => c.id === companyId);
  if (!company) return <Notice title="Company not found">It does not exist, or it is not one of yours.</Notice>;
  const tabs = TABS.filter((t) => can(t.permission));
  const tab = tabs.find((t) => t.id === params.get("tab")) ?? tabs[0]!;

  return (
    <>
      <PageHeader title={company.name}>
        <Link to="/companies" className="btn-secondary">
          All companies
        </Link>
      </PageHeader>
      <nav aria-label="Company settings" className="mb-4 flex flex-wrap gap-1 border-b border-slate-200">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            aria-current={t.id === tab.id ? "page" : undefined}
            className={`rounded-t-md px-3 py-2 text-sm ${t.id === tab.id ? "border border-b-white border-slate-200 bg-white font-medium" : "text-slate-700 hover:bg-slate-100"}`}
            onClick={() => setParams({ tab: t.id })}
          >
            {t.label}
          </button>
        ))}
      </nav>
      {tab.id === "policy" && <PolicyForm key={company.id} company={company} />}
      {tab.id === "integrations" && <Integrations company={company} fresh={fresh} />}
      {tab.id === "credentials" && (
        <Credentials company={company} fresh={fresh} onIssued={(c) => setFresh((f) => ({ ...f, ...c }))} />
      )}
      {tab.id === "maintenance" && <MaintenanceWindows company={company} />}
      {tab.id === "escalation" && <EscalationChain company={company} />}
      {tab.id === "notifications" && <SlackAws company={company} />}
    </>
  );
}
