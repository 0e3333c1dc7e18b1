// The people of one company with their category and figures (last 7 days); administrators add, edit and
// remove them here (users:manage, and only the roles core/accounts/roles.py lets them manage).
import { useState } from "react";
import type { UserPublic } from "../../api/types";
import { useAuth, useMe } from "../../auth/AuthContext";
import { useCompanies } from "../../lib/hooks/useCompanies";
import { useDirectory } from "../../lib/hooks/useDirectory";
import { useUsers } from "../../lib/hooks/useUsers";
import { mayManage, ROLE_LABELS } from "../../lib/peopleForm";
import { CopyBox, Field } from "../forms/Field";
import { Empty, ErrorState, Loading } from "../states";
import { AddPersonForm } from "./AddPersonForm";
import { EditPersonForm } from "./EditPersonForm";
import { RemovePerson } from "./RemovePerson";
import { FIGURE_HEADINGS, FigureCells, useTechnicianFigures } from "./TechnicianFigures";

interface Person {
  id: string;
  name: string;
  role: string;
  email?: string;
  category?: string | null;
  disabled?: boolean;
}

type Panel = { kind: "add" } | { kind: "edit"; user: UserPublic } | { kind: "remove"; user: UserPublic } | null;

export function People({ companyId }: { companyId: string }) {
  const { can } = useAuth();
  const me = useMe();
  // Administrators list users with their emails and categories; other roles get the directory's names.
  const listsUsers = can("users:read");
  const manages = can("users:manage");
  const users = useUsers(companyId);
  const directory = useDirectory(companyId);
  const companies = useCompanies();
  const people = listsUsers ? users : directory;
  const figures = useTechnicianFigures(companyId);
  const [category, setCategory] = useState("");
  const [panel, setPanel] = useState<Panel>(null);
  const [added, setAdded] = useState<{ user: UserPublic; password: string } | null>(null);
  const everyone: Person[] = people.data ?? [];
  const categories = [...new Set(everyone.map((u) => u.category).filter((c): c is string => Boolean(c)))].sort();
  const shown = everyone.filter((u) => !category || u.category === category);
  const manageable = (u: Person): u is UserPublic => manages && "company_ids" in u && mayManage(me.role, u.role);

  return (
    <section className="card" aria-labelledby="techs">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <h2 id="techs" className="text-lg font-semibold">People</h2>
        <div className="flex flex-wrap items-end gap-3">
          {listsUsers && (
            <Field label="Category">
              <select value={category} onChange={(e) => setCategory(e.target.value)}>
                <option value="">All categories</option>
                {categories.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </Field>
          )}
          {manages && panel === null && (
            <button type="button" className="btn-primary" onClick={() => setPanel({ kind: "add" })}>
              Add a person
            </button>
          )}
        </div>
      </div>

      {added && (
        <div className="mt-3 rounded-md border border-amber-300 bg-amber-50 p-3" data-testid="first-password">
          <p className="text-sm font-medium text-amber-950">
            {added.user.name || added.user.email} can sign in with this password, shown only now: hand it on safely.
          </p>
          <CopyBox label={`First password of ${added.user.email}`} value={added.password} testId="secret-value" />
          <button type="button" className="btn-secondary mt-2" onClick={() => setAdded(null)}>
            Done
          </button>
        </div>
      )}
      {panel !== null && (
        <div className="mt-3">
          {panel.kind === "add" && (
            <AddPersonForm
              companyId={companyId}
              companies={companies.data ?? []}
              onAdded={(user, password) => {
                setPanel(null);
                setAdded({ user, password });
              }}
              onCancel={() => setPanel(null)}
            />
          )}
          {panel.kind === "edit" && (
            <EditPersonForm user={panel.user} companies={companies.data ?? []} onSaved={() => setPanel(null)} onCancel={() => setPanel(null)} />
          )}
          {panel.kind === "remove" && <RemovePerson user={panel.user} onRemoved={() => setPanel(null)} onCancel={() => setPanel(null)} />}
        </div>
      )}

      <div className="mt-3">
        {people.isPending ? (
          <Loading what="technicians" />
        ) : people.isError ? (
          <ErrorState error={people.error} what="technicians" retry={() => void people.refetch()} />
        ) : shown.length === 0 ? (
          <Empty title="No one here">
            {category ? "Nobody has this category." : manages ? "Add one with “Add a person”." : "An administrator adds people."}
          </Empty>
        ) : (
          <div className="overflow-x-auto" tabIndex={0} role="region" aria-labelledby="techs">
            <table className="min-w-full text-sm" data-testid="technician-table">
              <caption className="sr-only">
                People of the company, their category, their open incidents now and their figures of the last 7 days
              </caption>
              <thead className="bg-slate-100 text-left">
                <tr>
                  <th scope="col" className="px-3 py-2">Name</th>
                  <th scope="col" className="px-3 py-2">Role</th>
                  {listsUsers && <th scope="col" className="px-3 py-2">Category</th>}
                  {FIGURE_HEADINGS.map((h) => (
                    <th key={h} scope="col" className="px-3 py-2 whitespace-nowrap">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200">
                {shown.map((u) => (
                  <tr key={u.id} data-user-id={u.id}>
                    <td className="px-3 py-2">
                      <span className="font-medium">{u.name || u.email || u.id}</span>
                      {u.email && <span className="block text-xs text-slate-600">{u.email}</span>}
                      {u.disabled && <span className="rounded bg-slate-200 px-1.5 text-xs">disabled</span>}
                      {manageable(u) && panel === null && <PersonActions user={u} onPanel={setPanel} />}
                    </td>
                    <td className="px-3 py-2">{ROLE_LABELS[u.role as keyof typeof ROLE_LABELS] ?? u.role}</td>
                    {listsUsers && <td className="px-3 py-2" data-testid="person-category">{u.category ?? "—"}</td>}
                    <FigureCells figures={figures.data?.get(u.id)} state={figures.status} />
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}

/** Beside the name, so they stay in view however wide the figures make the table. */
function PersonActions({ user, onPanel }: { user: UserPublic; onPanel: (panel: Panel) => void }) {
  const me = useMe();
  const label = user.name || user.email;
  const removal = me.role === "msp_admin" ? "Deactivate" : "Remove";
  // Nobody removes themselves, and the MSP admin's removal (disabling) is done already.
  const removable = user.id !== me.id && !(user.disabled && me.role === "msp_admin");
  return (
    <span className="mt-1 flex gap-2">
      <button type="button" className="btn-secondary px-2 py-0.5 text-xs" aria-label={`Edit ${label}`} onClick={() => onPanel({ kind: "edit", user })}>
        Edit
      </button>
      {removable && (
        <button type="button" className="btn-secondary px-2 py-0.5 text-xs" aria-label={`${removal} ${label}`} onClick={() => onPanel({ kind: "remove", user })}>
          {removal}
        </button>
      )}
    </span>
  );
}
