// Companies and their settings: profile, policy, integrations, credentials, maintenance, escalation,
// Slack and AWS.
import { useState } from "react";
import { Link, Route, Routes, useLocation, useNavigate, useParams, useSearchParams } from "react-router";
import type { CompanyCreated } from "../api/pageTypes";
import { useAuth } from "../auth/AuthContext";
import { AddCompany } from "../components/companies/AddCompany";
import { CompanyProfile } from "../components/companies/CompanyProfile";
import { CreatedSecrets } from "../components/companies/CreatedSecrets";
import { Credentials } from "../components/companies/Credentials";
import { EscalationChain } from "../components/companies/EscalationChain";
import { Integrations } from "../components/companies/Integrations";
import { MaintenanceWindows } from "../components/companies/MaintenanceWindows";
import { PolicyForm } from "../components/companies/PolicyForm";
import { SlackAws } from "../components/companies/SlackAws";
import { Empty, ErrorState, Loading, Notice, PageHeader } from "../components/states";
import type { SnippetCredentials } from "../lib/integrationSnippets";
import { useCompanies } from "../lib/hooks/useCompanies";

const NO_CREDENTIALS: SnippetCredentials = { apiKey: null, hmacSecret: null };

export function CompaniesPage() {
  // Keys and secrets issued on this page, by company, kept in memory only: the API never shows them again.
  const [fresh, setFresh] = useState<Record<string, SnippetCredentials>>({});
  const [createdId, setCreatedId] = useState<string | null>(null);
  const navigate = useNavigate();
  const issued = (companyId: string, creds: Partial<SnippetCredentials>) =>
    setFresh((all) => ({ ...all, [companyId]: { ...NO_CREDENTIALS, ...all[companyId], ...creds } }));
  const created = (company: CompanyCreated) => {
    issued(company.id, { apiKey: company.api_key, hmacSecret: company.hmac_secret });
    setCreatedId(company.id);
    void navigate(`/companies/${company.id}?tab=integrations`);
  };
  return (
    <Routes>
      <Route index element={<CompanyList onCreated={created} />} />
      <Route
        path=":companyId"
        element={
          <CompanySettings
            fresh={fresh}
            onIssued={issued}
            justCreated={createdId}
            onSecretsStored={() => setCreatedId(null)}
          />
        }
      />
    </Routes>
  );
}

function CompanyList({ onCreated }: { onCreated: (company: CompanyCreated) => void }) {
  const companies = useCompanies();
  const { can } = useAuth();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  const [adding, setAdding] = useState(false);
  const mayAdd = can("companies:create");
  return (
    <>
      <PageHeader title="Companies and settings">
        {mayAdd && !adding && (
          <button type="button" className="btn-primary" onClick={() => setAdding(true)}>
            Add a company
          </button>
        )}
      </PageHeader>
      {notice && (
        <p role="status" className="mb-4 text-sm text-emerald-800">
          {notice}
        </p>
      )}
      {adding && <AddCompany onCreated={onCreated} onCancel={() => setAdding(false)} />}
      {companies.isPending ? (
        <Loading what="companies" />
      ) : companies.isError ? (
        <ErrorState error={companies.error} what="companies" retry={() => void companies.refetch()} />
      ) : companies.data.length === 0 ? (
        <Empty title="No companies yet">
          {mayAdd ? "Add the first client company above." : "An MSP administrator adds client companies."}
        </Empty>
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
  { id: "profile", label: "Profile", permission: "companies:read" },
  { id: "integrations", label: "Integrations", permission: "companies:read" },
  { id: "credentials", label: "Credentials", permission: "companies:credentials" },
  { id: "maintenance", label: "Maintenance windows", permission: "maintenance:read" },
  { id: "escalation", label: "Escalation chain", permission: "oncall:read" },
  { id: "notifications", label: "Slack and AWS", permission: "companies:credentials" },
] as const;

interface SettingsProps {
  fresh: Record<string, SnippetCredentials>;
  onIssued: (companyId: string, creds: Partial<SnippetCredentials>) => void;
  /** The company just added here, whose key and secret are shown until stored. */
  justCreated: string | null;
  onSecretsStored: () => void;
}

function CompanySettings({ fresh: freshByCompany, onIssued, justCreated, onSecretsStored }: SettingsProps) {
  const { companyId } = useParams();
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const companies = useCompanies();
  if (companies.isPending) return <Loading what="the company" />;
  if (companies.isError) return <ErrorState error={companies.error} what="the company" retry={() => void companies.refetch()} />;
  const company = companies.data.find((c) => c.id === companyId);
  if (!company) return <Notice title="Company not found">It does not exist, or it is not one of yours.</Notice>;
  const tabs = TABS.filter((t) => can(t.permission));
  const tab = tabs.find((t) => t.id === params.get("tab")) ?? tabs[0]!;
  const fresh = freshByCompany[company.id] ?? NO_CREDENTIALS;

  return (
    <>
      <PageHeader title={company.name}>
        <Link to="/companies" className="btn-secondary">
          All companies
        </Link>
      </PageHeader>
      {justCreated === company.id && <CreatedSecrets fresh={fresh} onDismiss={onSecretsStored} />}
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
      {tab.id === "profile" && <CompanyProfile key={company.id} company={company} />}
      {tab.id === "integrations" && <Integrations company={company} fresh={fresh} />}
      {tab.id === "credentials" && (
        <Credentials company={company} fresh={fresh} onIssued={(c) => onIssued(company.id, c)} />
      )}
      {tab.id === "maintenance" && <MaintenanceWindows company={company} />}
      {tab.id === "escalation" && <EscalationChain company={company} />}
      {tab.id === "notifications" && <SlackAws company={company} />}
    </>
  );
}
