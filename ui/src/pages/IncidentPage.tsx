import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { ApiError } from "../api/client";
import type { components } from "../api/schema.gen";
import type { IncidentDetail } from "../api/types";
import { useApi, useAuth } from "../auth/AuthContext";
import { SeverityBadge, StatusBadge } from "../components/badges";
import { ActionBar } from "../components/incident/ActionBar";
import { DecisionPanel, RunPanel, SlaPanel, Timeline } from "../components/incident/Panels";
import { ErrorState, Loading, Notice } from "../components/states";
import { useUserName } from "../lib/hooks/useDirectory";
import { formatTime } from "../lib/time";
import { useLiveEvents } from "../live/LiveContext";
import type { LiveEvent } from "../live/socket";
import { useLiveRefresh } from "../live/useLiveRefresh";

type TimelineEntry = components["schemas"]["TimelineEntry"];

export function IncidentPage() {
  const { incidentId = "" } = useParams();
  const api = useApi();
  const [output, setOutput] = useState<LiveEvent[]>([]);
  const name = useUserName();
  const incident = useQuery({
    queryKey: ["incident", incidentId],
    queryFn: () => api.get<IncidentDetail>(`/api/incidents/${encodeURIComponent(incidentId)}`),
  });
  const timeline = useQuery({
    queryKey: ["timeline", incidentId],
    queryFn: () => api.get<TimelineEntry[]>(`/api/incidents/${encodeURIComponent(incidentId)}/timeline`),
  });
  useLiveEvents((event) => {
    if (event.incident_id === incidentId && event.type === "runbook.output") setOutput((old) => [...old, event].slice(-200));
  });
  useLiveRefresh([["incident", incidentId], ["timeline", incidentId]], (e) => e.incident_id === incidentId, 200);

  if (incident.isPending) return <Loading what="the incident" />;
  if (incident.isError) {
    if (incident.error instanceof ApiError && incident.error.status === 404) {
      return (
        <Notice title="Incident not found">
          No incident <code>{incidentId}</code> in your companies. <Link to="/incidents" className="underline">Back to the list</Link>.
        </Notice>
      );
    }
    return <ErrorState error={incident.error} what="the incident" retry={() => void incident.refetch()} />;
  }
  const i = incident.data;
  return (
    <article className="space-y-4" aria-labelledby="incident-title">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link to="/incidents" className="underline">Incidents</Link> / {i.id}
      </nav>
      <header className="space-y-2">
        <h1 id="incident-title" className="text-2xl font-semibold tracking-tight">{i.title}</h1>
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <SeverityBadge severity={i.severity} />
          <StatusBadge status={i.status} />
          <span>Asset <strong>{i.asset_name}</strong></span>
          <span>· {i.alert_count} alert{i.alert_count === 1 ? "" : "s"}</span>
          <span>· priority {i.priority_score}</span>
          <span>· opened {formatTime(i.created_at)}</span>
          {i.assigned_to && <span data-testid="assignee">· assigned to {name(i.assigned_to)}</span>}
          {i.acknowledged_at && <span>· acknowledged {formatTime(i.acknowledged_at)}</span>}
          {i.escalated && <span>· escalated (level {i.escalation_level})</span>}
          {i.resolution && <span data-testid="resolution">· resolution: {i.resolution.replaceAll("_", " ")}</span>}
        </div>
        <a href={i.temporal_ui_url} target="_blank" rel="noreferrer" className="inline-block text-sm text-indigo-800 underline" data-testid="temporal-link">
          Open in Temporal Web UI<span className="sr-only"> (opens in a new tab)</span>
        </a>
      </header>
      <ActionBar incident={i} />
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <DecisionPanel incident={i} />
        <SlaPanel incident={i} />
      </div>
      <RunPanel incident={i} live={output} />
      <section aria-labelledby="timeline-title" className="card space-y-3">
        <h2 id="timeline-title" className="text-lg font-semibold">Timeline</h2>
        <NoteForm incidentId={i.id} />
        {timeline.isPending ? (
          <Loading what="the timeline" />
        ) : timeline.isError ? (
          <ErrorState error={timeline.error} what="the timeline" retry={() => void timeline.refetch()} />
        ) : (
          <Timeline entries={[...timeline.data].reverse()} />
        )}
      </section>
    </article>
  );
}

function NoteForm({ incidentId }: { incidentId: string }) {
  const api = useApi();
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const note = useMutation({
    mutationFn: () => api.post(`/api/incidents/${incidentId}/notes`, { text }),
    onSuccess: () => {
      setText("");
      void queryClient.invalidateQueries({ queryKey: ["timeline", incidentId] });
    },
  });
  if (!can("incidents:act")) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) note.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-2">
      <label htmlFor="note" className="label">Add a note</label>
      <textarea id="note" className="field" rows={2} maxLength={10000} value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit" className="btn-secondary" disabled={note.isPending || !text.trim()}>
        Add note
      </button>
      {note.isError && <p role="alert" className="text-sm text-red-800">{note.error.message}</p>}
    </form>
  );
}
