import { useQuery } from "@tanstack/react-query";
import { useLiveRefresh } from "../live/useLiveRefresh";
import { useState } from "react";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ApiError } from "../api/client";
import type { KpiBucket, KpiFigures, Kpis } from "../api/kpis";
import { useApi } from "../auth/AuthContext";
import { formatSeconds } from "../lib/time";
import { ErrorState, Loading, NotAvailable } from "./states";

const RANGES = {
  "24h": { label: "Last 24 hours", ms: 86_400_000, bucket: "hour" },
  "7d": { label: "Last 7 days", ms: 7 * 86_400_000, bucket: "day" },
  "30d": { label: "Last 30 days", ms: 30 * 86_400_000, bucket: "day" },
} as const;
type RangeKey = keyof typeof RANGES;

interface Metric {
  key: string;
  label: string;
  value: (f: KpiFigures) => number | null;
  format: (v: number | null) => string;
  /** The y axis' ticks: whole numbers, short. */
  axis: (v: number) => string;
  hint: string;
}

const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
const percent = (v: number | null) => (v === null ? "—" : `${v.toFixed(1)} %`);
const percentAxis = (v: number) => `${Math.round(v)} %`;
const secondsAxis = (v: number) => formatSeconds(v);
const METRICS: Metric[] = [
  { key: "noise", label: "Noise reduction", value: (f) => f.noise_reduction, format: percent, axis: percentAxis, hint: "alerts that opened no incident of their own" },
  { key: "mtta", label: "MTTA (median)", value: (f) => f.mtta_seconds.median, format: formatSeconds, axis: secondsAxis, hint: "created to acknowledged" },
  { key: "mttr", label: "MTTR (median)", value: (f) => f.mttr_seconds.median, format: formatSeconds, axis: secondsAxis, hint: "created to resolved" },
  { key: "healing", label: "Self-healing", value: (f) => f.self_healing, format: percent, axis: percentAxis, hint: "resolved by a runbook without a human" },
  { key: "sla", label: "SLA compliance", value: (f) => f.sla_compliance, format: percent, axis: percentAxis, hint: "incidents that breached neither clock" },
];

const KPI_EVENTS = new Set(["incident.created", "incident.resolved", "incident.updated", "approval.decided", "sla.breached"]);

export function KpiSection() {
  const api = useApi();
  const [range, setRange] = useState<RangeKey>("7d");
  const kpis = useQuery({
    queryKey: ["kpis", range],
    queryFn: () => {
      const to = new Date();
      const from = new Date(to.getTime() - RANGES[range].ms);
      return api.get<Kpis>("/api/kpis", { from: from.toISOString(), to: to.toISOString(), bucket: RANGES[range].bucket });
    },
    staleTime: 60_000,
  });
  // Figures follow the incidents live, at most every 5 s: each refresh is a set of SQL aggregates.
  useLiveRefresh([["kpis"]], (e) => KPI_EVENTS.has(e.type), 5000);

  return (
    <section aria-labelledby="kpi-title" className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="kpi-title" className="text-lg font-semibold">
          Key figures
        </h2>
        <label className="flex items-center gap-2 text-sm">
          <span>Period</span>
          <select className="field w-auto" value={range} onChange={(e) => setRange(e.target.value as RangeKey)}>
            {Object.entries(RANGES).map(([key, r]) => (
              <option key={key} value={key}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {kpis.isPending ? (
        <Loading what="key figures" />
      ) : kpis.isError ? (
        kpis.error instanceof ApiError && kpis.error.status === 404 ? (
          <NotAvailable title="Key figures">The figures endpoint (GET /api/kpis) is not on this server yet.</NotAvailable>
        ) : (
          <ErrorState error={kpis.error} what="key figures" retry={() => void kpis.refetch()} />
        )
      ) : (
        <KpiView kpis={kpis.data} />
      )}
    </section>
  );
}

function KpiView({ kpis }: { kpis: Kpis }) {
  const hourly = kpis.bucket === "hour";
  const tick = (iso: string) => {
    const d = new Date(iso);
    return hourly ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : d.toLocaleDateString([], { month: "short", day: "numeric" });
  };
  return (
    <>
      <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-5" data-testid="kpi-cards">
        {METRICS.map((m) => (
          <li key={m.key} className="card">
            <p className="text-sm text-slate-700">{m.label}</p>
            <p className="mt-1 text-2xl font-semibold">{m.format(m.value(kpis.totals))}</p>
            <p className="mt-1 text-xs text-slate-600">{m.hint}</p>
          </li>
        ))}
      </ul>
      <p className="text-sm text-slate-700">
        {counted(kpis.totals.alerts_received, "alert")} received, {counted(kpis.totals.incidents_opened, "incident")} opened in this
        period.
      </p>
      <div className="grid grid-cols-1 gap-3 lg:grid-cols-2">
        {METRICS.map((m) => (
          <figure key={m.key} className="card">
            <figcaption className="mb-2 text-sm font-medium">{m.label} over time</figcaption>
            <Chart series={kpis.series} metric={m} tick={tick} />
          </figure>
        ))}
      </div>
    </>
  );
}

function Chart({ series, metric, tick }: { series: KpiBucket[]; metric: Metric; tick: (iso: string) => string }) {
  const data = series.map((b) => ({ at: b.bucket_start, value: metric.value(b) }));
  const points = data.filter((d) => d.value !== null).length;
  if (points === 0) {
    return <p className="py-8 text-center text-sm text-slate-600">No data in this period yet.</p>;
  }
  return (
    <div className="h-40" role="img" aria-label={`${metric.label} per period`}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
          <XAxis dataKey="at" tickFormatter={tick} fontSize={11} />
          <YAxis fontSize={11} width={56} allowDecimals={false} tickFormatter={(v: number) => metric.axis(v)} />
          <Tooltip labelFormatter={(v) => tick(String(v))} formatter={(v) => metric.format(typeof v === "number" ? v : null)} />
          <Line
            type="monotone"
            dataKey="value"
            name={metric.label}
            stroke="#4338ca"
            // A line needs two points: one day's figure alone shows as a dot.
            dot={points <= 2 ? { r: 3, fill: "#4338ca" } : false}
            connectNulls
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
