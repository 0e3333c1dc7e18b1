// The users of one company (users:read), for pickers; names for everyone come from useDirectory.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { User } from "../../api/pageTypes";
import { useApi, useAuth } from "../../auth/AuthContext";

export function useUsers(companyId: string | undefined) {
  const api = useApi();
  const { can } = useAuth();
  return useQuery({
    queryKey: ["users", companyId ?? "all"],
    queryFn: () => api.get<User[]>("/api/users", { company_id: companyId, limit: 500 }),
    enabled: can("users:read"),
  });
}

/** After a person is added, changed or removed: every list, name and figure that shows people. */
export function useRefreshPeople(): () => Promise<unknown> {
  const queryClient = useQueryClient();
  return () =>
    Promise.all(
      ["users", "directory", "technician-figures"].map((key) => queryClient.invalidateQueries({ queryKey: [key] })),
    );
}
