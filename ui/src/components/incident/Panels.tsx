// The incident page's read-only panels: the decision and why, the runbook run with its output as it
// streams, the SLA clocks counting down, and the timeline.
import type { components } from "../../api/schema.gen";
import type { IncidentDetail } from "../../api/types";
import { describeClock, slaClocks, type ClockState } from "../../lib/countdown";
import { useUserName } from "../../lib/hooks/useDirectory";
import { formatTime, useNow } from "../../lib/time";
import { SlaControls } from "./SlaControls";
import { describeTimelineEntry } from "../../lib/timelineText";
import { namesIn } from "../../lib/userNames";
import type { LiveEvent } from "../../live/socket";

type TimelineEntry = components["schemas"]["TimelineEntry"];
type StepResult = components["schemas"]["StepResult"];

const ACTION_TEXT: Record<string, string> = {
  EXECUTE_RUNBOOK: "Run a runbook automatically",
  APPROVE_REQUIRED: "Run a runbook after approval",
  ESCALATE_TO_TECH: "Hand to a technician",
};

export function DecisionPanel({ incident }: { incident: IncidentDetail }) {
  const decision = incident.decision;
  return (
    <section aria-labelledby="decision-title" className="card">
      <h2 id="decision-title" className="text-lg font-semibold">
        Decision
      </h2>
      {!decision ? (
        <p className="mt-1 text-sm text-slate-700">No decision yet: the incident is waiting for its decision or needs none.</p>
      ) : (
        <dl className="mt-2 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm" data-testid="decision">
          <dt className="font-medium">What</dt>
          <dd>{ACTION_TEXT[decision.action] ?? decision.action}</dd>
          <dt className="font-medium">Why</dt>
          <dd className="whitespace-pre-wrap">{decision.reasoning || "—"}</dd>
          <dt className="font-medium">Confidence</dt>
          <dd>{Math.round(decision.confidence * 100)} %</dd>
          <dt className="font-medium">Decided by</dt>
          <dd>
            {decision.provider}
            {(decision.fallbacks ?? []).length > 0 && ` (after ${(decision.fallbacks ?? []).join(", ")})`} at {formatTime(decision.created_at)}
          </dd>
        </dl>
      )}
    </section>
  );
}

/** Step outputs from the incident and from live runbook.output events, one per run/phase/index. */
export function mergeSteps(steps: StepResult[], runId: string, live: LiveEvent[]): StepResult[] {
  const byKey = new Map<string, StepResult>(steps.map((s) => [`${s.phase}:${s.index}`, s]));
  for (const event of live) {
    const d = event.data as Partial<StepResult> & { run_id?: string };
    if (event.type !== "runbook.output" || d.run_id !== runId || d.phase === undefined || d.index === undefined) continue;
    const key = `${d.phase}:${d.index}`;
    const known = byKey.get(key);
    if (known?.finished_at) continue;
    byKey.set(key, {
      phase: d.phase,
      index: d.index,
      command: d.command ?? known?.command ?? "",
      exit_code: d.exit_code ?? null,
      output_tail: d.output_tail ?? "",
      error: d.error ?? null,
      started_at: known?.started_at ?? null,
      finished_at: event.at,
    });
  }
  const order = ["pre_check", "action", "post_check", "rollback"];
  return [...byKey.values()].sort((a, b) => order.indexOf(a.phase) - order.indexOf(b.phase) || a.index - b.index);
}

export function RunPanel({ incident, live }: { incident: IncidentDetail; live: LiveEvent[] }) {
  const run = incident.remediation;
  if (!run) return null;
  const steps = mergeSteps(run.steps ?? [], run.run_id, live);
  const name = useUserName();
  return (
    <section aria-labelledby="run-title" className="card" data-testid="run">
      <h2 id="run-title" className="text-lg font-semibold">
        Runbook run: {run.runbook_name}
      </h2>
      <p className="mt-1 text-sm">
        Status: <strong data-testid="run-status">{run.status.replace("_", " ")}</strong> · {run.risk_level} risk
        {run.approval.decided_by && ` · ${run.approval.approved ? "approved" : "rejected"} by ${name(run.approval.decided_by)}`}
        {run.approval.comment && ` (“${run.approval.comment}”)`}
      </p>
      {run.error && <p className="mt-1 text-sm text-red-800">{run.error}</p>}
      {steps.length === 0 ? (
        <p className="mt-2 text-sm text-slate-700">No step has run yet; output appears here as each step finishes.</p>
      ) : (
        <ol className="mt-2 space-y-2">
          {steps.map((step) => (
            <li key={`${step.phase}:${step.index}`} className="rounded border border-slate-200">
              <div className="flex flex-wrap items-center gap-2 bg-slate-50 px-2 py-1 text-xs">
                <span className="font-semibold">{step.phase.replace("_", " ")} {step.index + 1}</span>
                <code className="break-all">{step.command}</code>
                <span className={step.exit_code === 0 ? "text-emerald-800" : "text-red-800"}>
                  {step.exit_code === null ? (step.finished_at ? "no exit code" : "running…") : `exit ${step.exit_code}`}
                </span>
              </div>
              {(step.output_tail || step.error) && (
                <pre className="max-h-64 overflow-auto bg-slate-900 p-2 text-xs text-slate-100" tabIndex={0} aria-label={`Output of ${step.phase} ${step.index + 1}`}>
                  {step.output_tail}
                  {step.error && `\n${step.error}`}
                </pre>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Clock({ label, state }: { label: string; state: ClockState }) {
  const tone =
    state.kind === "breached" || state.kind === "overdue"
      ? "text-red-800"
      : state.kind === "running" && state.urgent
        ? "text-amber-800"
        : state.kind === "met"
          ? "text-emerald-800"
          : "text-slate-800";
  return (
    <div>
      <dt className="text-sm text-slate-700">{label}</dt>
      <dd className={`text-lg font-semibold ${tone}`}>{describeClock(state)}</dd>
    </div>
  );
}

export function SlaPanel({ incident }: { incident: IncidentDetail }) {
  const now = useNow(1000);
  if (!incident.sla) {
    return (
      <section aria-labelledby="sla-title" className="card">
        <h2 id="sla-title" className="text-lg font-semibold">SLA</h2>
        <p className="mt-1 text-sm text-slate-700">No SLA clocks for this incident (none set for its company, or not started yet).</p>
      </section>
    );
  }
  const clocks = slaClocks(incident.sla, now);
  return (
    <section aria-labelledby="sla-title" className="card" data-testid="sla">
      <h2 id="sla-title" className="text-lg font-semibold">SLA</h2>
      <dl className="mt-2 grid grid-cols-2 gap-3">
        <Clock label="Response" state={clocks.response} />
        <Clock label="Resolution" state={clocks.resolution} />
      </dl>
      <SlaControls incident={incident} />
    </section>
  );
}

// The decision's audit entry repeats the decision entry beside it (which has the reasoning).
const shown = (entry: TimelineEntry) => !(entry.kind === "audit" && entry.action === "decision.made");

export function Timeline({ entries: all }: { entries: TimelineEntry[] }) {
  const name = useUserName();
  const entries = all.filter(shown);
  if (entries.length === 0) return <p className="text-sm text-slate-700">Nothing has happened yet.</p>;
  return (
    <ol className="relative space-y-3 border-l border-slate-300 pl-4" data-testid="timeline">
      {entries.map((entry, i) => {
        const { title, detail } = describeTimelineEntry(entry, name);
        return (
          <li key={`${entry.at}:${i}`} data-kind={entry.kind}>
            <p className="text-sm">
              <span className="font-medium">{title}</span>
              {entry.actor && <span className="text-slate-700"> by {name(entry.actor)}</span>}
              <span className="text-slate-600"> · {formatTime(entry.at)}</span>
            </p>
            {detail && <p className="text-sm whitespace-pre-wrap text-slate-800">{namesIn(detail, name)}</p>}
          </li>
        );
      })}
    </ol>
  );
}
