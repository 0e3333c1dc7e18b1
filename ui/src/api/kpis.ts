// GET /api/kpis, written by hand to the agreed contract (notes/kpi-shape.md) while the endpoint is built.
// TODO: switch to the generated types (components["schemas"]["Kpis"...]) once it is in the OpenAPI schema.

export interface Spread {
  median: number | null;
  p90: number | null;
}

export interface KpiFigures {
  alerts_received: number;
  alerts_suppressed: number;
  alerts_duplicate: number;
  incidents_opened: number;
  noise_reduction: number | null;
  mtta_seconds: Spread;
  mttr_seconds: Spread;
  self_healing: number | null;
  sla_compliance: number | null;
  approval_wait_seconds: Spread;
}

export interface KpiBucket extends KpiFigures {
  bucket_start: string;
}

export interface Kpis {
  company_id: string | null;
  from: string;
  to: string;
  bucket: "day" | "hour";
  totals: KpiFigures;
  series: KpiBucket[];
}
