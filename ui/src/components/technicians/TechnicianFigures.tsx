// Per-technician figures of one company over the last 7 days (GET /api/kpis/technicians): one query for
// the whole table; someone without a row has nothing open and nothing in the range.
import { useQuery } from "@tanstack/react-query";
import type { components } from "../../api/schema.gen";
import { useApi } from "../../auth/AuthContext";
import { formatSeconds } from "../../lib/time";

export type TechnicianFigures = components["schemas"]["TechnicianFigures"];
type TechnicianReport = components["schemas"]["TechnicianReport"];

export const FIGURE_HEADINGS = ["Open now", "Resolved (7 d)", "MTTA median", "MTTR median", "SLA breaches (7 d)"];

export function useTechnicianFigures(companyId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["technician-figures", companyId],
    queryFn: () => api.get<TechnicianReport>("/api/kpis/technicians", { company_id: companyId }),
    select: (report) => new Map(report.technicians.map((t) => [t.user_id, t])),
  });
}

export function FigureCells({ figures, state }: { figures: TechnicianFigures | undefined; state: "pending" | "error" | "success" }) {
  if (state !== "success")
    return (
      <td colSpan={FIGURE_HEADINGS.length} className={`px-3 py-2 ${state === "error" ? "text-red-800" : "text-slate-500"}`}>
        {state === "error" ? "figures not available" : "…"}
      </td>
    );
  const cells = [
    String(figures?.open_now ?? 0),
    String(figures?.resolved ?? 0),
    formatSeconds(figures?.mtta_median_seconds),
    formatSeconds(figures?.mttr_median_seconds),
    String(figures?.sla_breaches ?? 0),
  ];
  return (
    <>
      {cells.map((text, i) => (
        <td key={FIGURE_HEADINGS[i]} className="px-3 py-2 tabular-nums" data-testid="technician-figure">
          {text}
        </td>
      ))}
    </>
  );
}
