// Deleting a company (MSP administrators), confirmed by typing its name. The API keeps a company that has
// alerts or incidents (409) and says why; that reason is shown as it is.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import type { Company } from "../../api/pageTypes";
import { useApi } from "../../auth/AuthContext";
import { Field, FormErrors } from "../forms/Field";

export function DeleteCompany({ company }: { company: Company }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [typed, setTyped] = useState("");
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/companies/${company.id}`),
    onSuccess: () => {
      void navigate("/companies", { state: { notice: `${company.name} was deleted.` } });
      queryClient.removeQueries({ queryKey: ["companies", company.id] });
      void queryClient.invalidateQueries({ queryKey: ["companies"] });
    },
  });

  return (
    <section className="card border-red-200" aria-labelledby="delete-company">
      <h2 id="delete-company" className="text-lg font-semibold text-red-900">Delete this company</h2>
      <p className="mt-1 text-sm text-slate-700">
        For a company added by mistake or not yet in use: its API keys, memberships, maintenance windows, runbooks, schedules and
        escalation chain go with it. A company with alerts or incidents cannot be deleted; revoke its API keys to stop its alerts.
      </p>
      <form
        noValidate
        aria-label="Delete this company"
        className="mt-3 flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          remove.mutate();
        }}
      >
        <Field label={`Type ${company.name} to confirm`}>
          <input value={typed} autoComplete="off" onChange={(e) => setTyped(e.target.value)} />
        </Field>
        <button type="submit" className="btn-danger" disabled={typed.trim() !== company.name || remove.isPending}>
          {remove.isPending ? "Deleting…" : "Delete company"}
        </button>
      </form>
      {remove.isError && (
        <div className="mt-3">
          <FormErrors errors={[`Not deleted: ${remove.error.message}`]} />
        </div>
      )}
    </section>
  );
}
