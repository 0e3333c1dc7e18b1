// Pause the SLA clocks while waiting on the customer (with a reason, audited), and resume them.
import { useId, useState, type FormEvent } from "react";
import type { IncidentDetail } from "../../api/types";
import { useAuth } from "../../auth/AuthContext";
import { useAction } from "./ActionBar";

export function SlaControls({ incident }: { incident: IncidentDetail }) {
  const { can } = useAuth();
  const action = useAction(incident);
  const [reason, setReason] = useState("");
  const id = useId();
  if (!can("incidents:act") || !incident.sla || incident.status === "resolved") return null;
  const pause = (e: FormEvent) => {
    e.preventDefault();
    action.mutate({ path: "sla/pause", body: { reason } }, { onSuccess: () => setReason("") });
  };
  return (
    <div className="mt-3 border-t border-slate-200 pt-3">
      {incident.sla.paused ? (
        <button type="button" className="btn-secondary" disabled={action.isPending} onClick={() => action.mutate({ path: "sla/resume" })}>
          Resume the clocks
        </button>
      ) : (
        <form onSubmit={pause} className="flex flex-wrap items-end gap-2">
          <div className="grow">
            <label htmlFor={id} className="label">
              Pause the clocks because
            </label>
            <input id={id} className="field mt-1" maxLength={500} placeholder="waiting on the customer" value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
          <button type="submit" className="btn-secondary" disabled={action.isPending || !reason.trim()}>
            Pause
          </button>
        </form>
      )}
      {action.isError && (
        <p role="alert" className="mt-2 text-sm text-red-800">
          {action.error.message}
        </p>
      )}
    </div>
  );
}
