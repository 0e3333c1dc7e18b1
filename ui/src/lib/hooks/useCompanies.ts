// The companies the caller may see, for pickers and names in lists.
import { useQuery } from "@tanstack/react-query";
import type { Company } from "../../api/pageTypes";
import { useApi, useAuth } from "../../auth/AuthContext";

export function useCompanies() {
  const api = useApi();
  const { can } = useAuth();
  return useQuery({
    queryKey: ["companies", "full"],
    queryFn: () => api.get<Company[]>("/api/companies"),
    enabled: can("companies:read"),
  });
}

export function companyName(companies: Company[] | undefined, id: string | null | undefined): string {
  if (!id) return "All clients (global)";
  return companies?.find((c) => c.id === id)?.name ?? id;
}
