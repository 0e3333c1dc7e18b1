// The incident list's filters and sort, kept in the URL so a filtered list can be bookmarked and shared.
import type { Query } from "../api/client";

export const STATUSES = ["new", "in_progress", "escalated", "resolved"] as const;
export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export const SORTS = ["updated", "created", "priority"] as const;

export interface IncidentFilters {
  company_id: string;
  status: string;
  severity: string;
  assignee: string;
  q: string;
  created_from: string; // yyyy-mm-dd, the user's local day
  created_to: string; // yyyy-mm-dd, inclusive
  sort: (typeof SORTS)[number];
}

export const NO_FILTERS: IncidentFilters = {
  company_id: "",
  status: "",
  severity: "",
  assignee: "",
  q: "",
  created_from: "",
  created_to: "",
  sort: "updated",
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function filtersFromSearch(params: URLSearchParams): IncidentFilters {
  const pick = (key: keyof IncidentFilters, allowed?: readonly string[]) => {
    const value = params.get(key) ?? "";
    return allowed && !allowed.includes(value) ? "" : value;
  };
  const sort = pick("sort", SORTS);
  return {
    company_id: pick("company_id"),
    status: pick("status", STATUSES),
    severity: pick("severity", SEVERITIES),
    assignee: pick("assignee"),
    q: pick("q").slice(0, 200),
    created_from: DAY.test(pick("created_from")) ? pick("created_from") : "",
    created_to: DAY.test(pick("created_to")) ? pick("created_to") : "",
    sort: (sort || "updated") as IncidentFilters["sort"],
  };
}

export function filtersToSearch(filters: IncidentFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value && !(key === "sort" && value === "updated")) params.set(key, value);
  }
  return params;
}

/** Local calendar days to the API's half-open [from, to) instants; "to" includes its whole day. */
export function filtersToQuery(filters: IncidentFilters, cursor?: string | null): Query {
  const startOf = (day: string) => new Date(`${day}T00:00:00`);
  let createdTo: string | undefined;
  if (filters.created_to) {
    const end = startOf(filters.created_to);
    end.setDate(end.getDate() + 1);
    createdTo = end.toISOString();
  }
  return {
    company_id: filters.company_id,
    status: filters.status,
    severity: filters.severity,
    assignee: filters.assignee,
    q: filters.q.trim(),
    created_from: filters.created_from ? startOf(filters.created_from).toISOString() : undefined,
    created_to: createdTo,
    sort: filters.sort,
    cursor: cursor ?? undefined,
    limit: 50,
  };
}

export function activeFilterCount(filters: IncidentFilters): number {
  return Object.entries(filters).filter(([key, value]) => key !== "sort" && value !== "").length;
}
