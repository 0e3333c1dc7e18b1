// Per-technician figures from what the API has: incidents assigned to them (GET /api/incidents
// ?assignee=), all and resolved. There is no per-technician MTTA/MTTR endpoint, so none is shown.
import { useQuery } from "@tanstack/react-query";
import type { IncidentPage } from "../../api/types";
import { useApi } from "../../auth/AuthContext";

export function AssignedCounts({ companyId, userId }: { companyId: string; userId: string }) {
  const api = useApi();
  const count = (status?: string) =>
    api.get<IncidentPage>("/api/incidents", { company_id: companyId, assignee: userId, status, limit: 1 }).then((p) => p.total);
  const figures = useQuery({
    queryKey: ["technician-figures", companyId, userId],
    queryFn: async () => {
      const [all, resolved] = await Promise.all([count(), count("resolved")]);
      return { all, resolved, open: all - resolved };
    },
  });
  if (figures.isPending) return <span className="text-slate-500">…</span>;
  if (figures.isError) return <span className="text-red-800">not available</span>;
  return (
    <span data-testid="assigned-counts">
      {figures.data.open} open · {figures.data.resolved} resolved
    </span>
  );
}
