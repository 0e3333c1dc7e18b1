// Who is who in the caller's companies (every role may read it): for showing names instead of user ids.
import { useQuery } from "@tanstack/react-query";
import type { components } from "../../api/schema.gen";
import { useApi } from "../../auth/AuthContext";
import { nameOf } from "../userNames";
import { useUsers } from "./useUsers";

export type DirectoryEntry = components["schemas"]["DirectoryEntryPublic"];

/** Everyone of the caller's companies, or of one of them; the MSP's administrators are in each. */
export function useDirectory(companyId?: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["directory", companyId ?? "all"],
    queryFn: () => api.get<DirectoryEntry[]>("/api/users/directory", { company_id: companyId }),
    staleTime: 300_000,
  });
}

/** A function from user id to name: else the email for roles that list users, else the id (also until
 * the directory has loaded). */
export function useUserName(): (id: string) => string {
  const directory = useDirectory();
  const users = useUsers(undefined);
  return (id) => nameOf(directory.data, id, users.data);
}
