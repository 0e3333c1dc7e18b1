const SEVERITY: Record<string, string> = {
  critical: "bg-red-700 text-white",
  high: "bg-orange-200 text-orange-950",
  medium: "bg-amber-100 text-amber-950",
  low: "bg-slate-200 text-slate-900",
};

const STATUS: Record<string, string> = {
  new: "bg-sky-100 text-sky-950",
  in_progress: "bg-indigo-100 text-indigo-950",
  escalated: "bg-red-100 text-red-950",
  resolved: "bg-emerald-100 text-emerald-950",
  pending: "bg-slate-100 text-slate-800",
};

export function SeverityBadge({ severity }: { severity: string }) {
  return (
    <span className={`inline-block rounded px-2 py-0.5 text-xs font-semibold uppercase ${SEVERITY[severity] ?? SEVERITY.low}`}>
      {severity}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`inline-block rounded px-2 py-0.5 text-xs font-medium ${STATUS[status] ?? STATUS.pending}`}>
      {status.replace("_", " ")}
    </span>
  );
}
