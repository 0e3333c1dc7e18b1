import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import type { components } from "../api/schema.gen";
import { useApi } from "../auth/AuthContext";
import { useLiveEvents } from "../live/LiveContext";
import { useLiveRefresh } from "../live/useLiveRefresh";
import { formatTime } from "../lib/time";
import { SeverityBadge } from "./badges";
import { Empty, ErrorState, Loading } from "./states";

type AlertDelivery = components["schemas"]["AlertDelivery"];

interface Correlated {
  eventId: number;
  incidentId: string;
  count: number;
  at: string;
}

const SET_ASIDE = {
  suppressed: "Suppressed (maintenance, duplicates)",
  no_open_incident: "Recoveries with no open incident",
  undeliverable: "Undeliverable (routing failed)",
} as const;

/** Alerts as they join incidents (live), and those that joined none (GET /api/alerts). */
export function AlertStream() {
  const [joined, setJoined] = useState<Correlated[]>([]);
  const [titles, setTitles] = useState<ReadonlyMap<string, string>>(new Map());
  useLiveEvents((event) => {
    const incident = event.data.incident as { title?: string } | undefined;
    const title = incident?.title;
    if (event.incident_id && title && titles.get(event.incident_id) !== title) {
      setTitles((old) => new Map(old).set(event.incident_id!, title));
    }
    if (event.type !== "alert.correlated" || !event.incident_id) return;
    const ids = (event.data.alert_ids as string[] | undefined) ?? [];
    const entry: Correlated = {
      eventId: event.id,
      incidentId: event.incident_id,
      count: ids.length,
      at: event.at,
    };
    setJoined((old) => [entry, ...old].slice(0, 30));
  });

  return (
    <div className="space-y-4">
      <div>
        <h3 className="text-sm font-semibold text-slate-800">Joining incidents (live)</h3>
        {joined.length === 0 ? (
          <p className="mt-1 text-sm text-slate-600">Waiting for alerts; each one that joins an incident is listed here as it arrives.</p>
        ) : (
          <ul className="mt-1 divide-y divide-slate-200 text-sm" data-testid="alert-stream">
            {joined.map((a) => (
              <li key={a.eventId} className="py-1.5">
                {a.count} alert{a.count === 1 ? "" : "s"} →{" "}
                <Link className="underline" to={`/incidents/${a.incidentId}`}>
                  {titles.get(a.incidentId) ?? `incident ${a.incidentId.slice(-12)}`}
                </Link>{" "}
                <span className="text-slate-600">{formatTime(a.at)}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      <SetAsideAlerts />
    </div>
  );
}

function SetAsideAlerts() {
  const api = useApi();
  const [disposition, setDisposition] = useState<keyof typeof SET_ASIDE>("suppressed");
  const alerts = useQuery({
    queryKey: ["alerts", disposition],
    queryFn: () => api.get<AlertDelivery[]>("/api/alerts", { disposition, limit: 20 }),
  });
  useLiveRefresh([["alerts"]], (e) => e.type === "alert.correlated" || e.type === "incident.created", 2000);
  return (
    <div>
      <label className="flex flex-wrap items-center gap-2 text-sm font-semibold text-slate-800">
        In no incident:
        <select className="field w-auto font-normal" value={disposition} onChange={(e) => setDisposition(e.target.value as keyof typeof SET_ASIDE)}>
          {Object.entries(SET_ASIDE).map(([key, label]) => (
            <option key={key} value={key}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {alerts.isPending ? (
        <Loading what="alerts" />
      ) : alerts.isError ? (
        <ErrorState error={alerts.error} what="alerts" retry={() => void alerts.refetch()} />
      ) : alerts.data.length === 0 ? (
        <div className="mt-2">
          <Empty title="None">No alert of this kind recently.</Empty>
        </div>
      ) : (
        <ul className="mt-2 divide-y divide-slate-200 text-sm">
          {alerts.data.map((a) => (
            <li key={a.id} className="flex flex-wrap items-center gap-2 py-1.5">
              <SeverityBadge severity={a.severity} />
              <span className="font-medium">{a.asset_name}</span>
              <span>{a.signature}</span>
              <span className="text-slate-600">{formatTime(a.received_at)}</span>
              {a.delivery_error && <span className="text-red-800">{a.delivery_error}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
