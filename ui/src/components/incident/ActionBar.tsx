// One click each: acknowledge, assign, escalate, resolve, reopen; approve or reject with a comment.
// Only the buttons this role may use are shown (the API refuses the rest anyway).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import type { IncidentDetail, Incident } from "../../api/types";
import { useApi, useAuth, useMe } from "../../auth/AuthContext";
import { mayApprove } from "../../lib/approval";
import { useDirectory } from "../../lib/hooks/useDirectory";

/** One POST to the incident's action endpoint; the incident, its timeline and the list refresh after. */
export function useAction(incident: IncidentDetail) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ path, body }: { path: string; body?: unknown }) =>
      api.post<Incident>(`/api/incidents/${incident.id}/${path}`, body),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ["incident", incident.id] });
      void queryClient.invalidateQueries({ queryKey: ["timeline", incident.id] });
      void queryClient.invalidateQueries({ queryKey: ["incidents"] });
    },
  });
}

export function ActionBar({ incident }: { incident: IncidentDetail }) {
  const { can } = useAuth();
  const me = useMe();
  const action = useAction(incident);
  const open = incident.status !== "resolved";
  const act = can("incidents:act");
  const run = (path: string, body?: unknown) => action.mutate({ path, body });

  return (
    <section aria-label="Actions" className="space-y-3">
      {incident.remediation?.status === "awaiting_approval" && mayApprove(me.role, incident.remediation.approval.required_role) && (
        <ApprovalForm incident={incident} />
      )}
      {act && (
        <div className="flex flex-wrap gap-2">
          {open && !incident.acknowledged_at && (
            <button type="button" className="btn-primary" disabled={action.isPending} onClick={() => run("acknowledge")}>
              Acknowledge
            </button>
          )}
          {open && incident.assigned_to !== me.id && (
            <button type="button" className="btn-secondary" disabled={action.isPending} onClick={() => run("assign", { user_id: me.id })}>
              Assign to me
            </button>
          )}
          {open && (
            <button type="button" className="btn-secondary" disabled={action.isPending} onClick={() => run("escalate", { reason: "" })}>
              Escalate
            </button>
          )}
          {open && (
            <button type="button" className="btn-secondary" disabled={action.isPending} onClick={() => run("resolve", { note: "" })}>
              {incident.awaiting_confirmation ? "Confirm recovery and resolve" : "Resolve"}
            </button>
          )}
          {!open && (
            <button type="button" className="btn-secondary" disabled={action.isPending} onClick={() => run("reopen", { reason: "" })}>
              Reopen
            </button>
          )}
        </div>
      )}
      {act && open && <AssignForm incident={incident} />}
      {action.isError && (
        <p role="alert" className="text-sm text-red-800">
          {action.error.message}
        </p>
      )}
    </section>
  );
}

function ApprovalForm({ incident }: { incident: IncidentDetail }) {
  const action = useAction(incident);
  const [comment, setComment] = useState("");
  const id = useId();
  const run = incident.remediation!;
  const decide = (path: "approve" | "reject") => action.mutate({ path, body: { comment } });
  return (
    <div className="rounded-lg border border-amber-400 bg-amber-50 p-4" data-testid="approval">
      <h2 className="font-semibold text-amber-950">
        Approval needed: run “{run.runbook_name}” ({run.risk_level} risk)
      </h2>
      {run.approval.timeout_at && <p className="text-sm text-amber-950">Times out at {new Date(run.approval.timeout_at).toLocaleString()}.</p>}
      <label htmlFor={id} className="label mt-2">
        Comment (optional)
      </label>
      <textarea id={id} className="field mt-1" rows={2} maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} />
      <div className="mt-2 flex gap-2">
        <button type="button" className="btn-primary" disabled={action.isPending} onClick={() => decide("approve")}>
          Approve
        </button>
        <button type="button" className="btn-danger" disabled={action.isPending} onClick={() => decide("reject")}>
          Reject
        </button>
      </div>
      {action.isError && (
        <p role="alert" className="mt-2 text-sm text-red-800">
          {action.error.message}
        </p>
      )}
    </div>
  );
}

function AssignForm({ incident }: { incident: IncidentDetail }) {
  const action = useAction(incident);
  const [userId, setUserId] = useState("");
  // The directory, not /api/users: every role reads it, so technicians can hand an incident to a colleague.
  const directory = useDirectory(incident.company_id);
  const people = (directory.data ?? []).filter((u) => u.active && u.id !== incident.assigned_to);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (userId) action.mutate({ path: "assign", body: { user_id: userId } });
  };
  if (!people.length) return null;
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2">
      <div>
        <label htmlFor="assign-to" className="label">
          Assign to
        </label>
        <select id="assign-to" className="field mt-1 w-auto" value={userId} onChange={(e) => setUserId(e.target.value)}>
          <option value="">Choose a person…</option>
          {people.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name || u.id} ({u.role.replace("_", " ")})
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="btn-secondary" disabled={!userId || action.isPending}>
        Assign
      </button>
      {action.isError && (
        <p role="alert" className="text-sm text-red-800">
          {action.error.message}
        </p>
      )}
    </form>
  );
}
