import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import type { Incident, IncidentPage } from "../api/types";
import { useApi } from "../auth/AuthContext";
import { useLiveEvents } from "../live/LiveContext";
import type { LiveEvent } from "../live/socket";
import { useLiveRefresh } from "../live/useLiveRefresh";
import { formatTime } from "../lib/time";
import { SeverityBadge, StatusBadge } from "./badges";
import { Empty, ErrorState, Loading } from "./states";

type Summary = Pick<Incident, "id" | "title" | "asset_name" | "severity" | "status" | "updated_at">;

/** What an incident event says about its incident, so the feed shows it before the refetch lands. */
export function summaryOf(event: LiveEvent): Summary | null {
  const incident = event.data.incident as Partial<Incident> | undefined;
  if (!event.incident_id || !incident?.title) return null;
  return {
    id: event.incident_id,
    title: incident.title,
    asset_name: incident.asset_name ?? "",
    severity: incident.severity ?? "low",
    status: incident.status ?? "new",
    updated_at: event.at,
  };
}

export function IncidentFeed() {
  const api = useApi();
  const [live, setLive] = useState<Map<string, Summary>>(new Map());
  const feed = useQuery({
    queryKey: ["incidents", "feed"],
    queryFn: () => api.get<IncidentPage>("/api/incidents", { sort: "updated", limit: 15 }),
  });
  useLiveEvents((event) => {
    const summary = summaryOf(event);
    if (summary && summary.status !== "pending" && summary.status !== "void") {
      setLive((old) => new Map(old).set(summary.id, summary));
    }
  });
  useLiveRefresh([["incidents", "feed"]], (e) => e.incident_id !== null);

  if (feed.isPending) return <Loading what="incidents" />;
  if (feed.isError) return <ErrorState error={feed.error} what="incidents" retry={() => void feed.refetch()} />;
  const merged = new Map<string, Summary>(feed.data.items.map((i) => [i.id, i]));
  for (const [id, summary] of live) {
    const fetched = merged.get(id);
    if (!fetched || fetched.updated_at < summary.updated_at) merged.set(id, summary);
  }
  const items = [...merged.values()].sort((a, b) => b.updated_at.localeCompare(a.updated_at)).slice(0, 15);
  if (items.length === 0) {
    return <Empty title="No incidents yet">New incidents appear here as soon as an alert opens one; nothing to reload.</Empty>;
  }
  return (
    <ul className="divide-y divide-slate-200" data-testid="incident-feed">
      {items.map((incident) => (
        <li key={incident.id} className="py-2">
          <Link to={`/incidents/${incident.id}`} className="block rounded px-1 hover:bg-slate-50">
            <div className="flex flex-wrap items-center gap-2">
              <SeverityBadge severity={incident.severity} />
              <StatusBadge status={incident.status} />
              <span className="font-medium">{incident.title}</span>
            </div>
            <div className="mt-0.5 text-sm text-slate-600">
              {incident.asset_name} · updated {formatTime(incident.updated_at)}
            </div>
          </Link>
        </li>
      ))}
    </ul>
  );
}
