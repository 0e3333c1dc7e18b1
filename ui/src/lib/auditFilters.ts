// The audit log's filters: kept in the page address (shareable, back button), sent as the API's query.
import type { Query } from "../api/client";

export interface AuditFilters {
  company_id: string;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
  /** As typed in a datetime-local control ("2030-01-31T09:00"), in the browser's time zone. */
  since: string;
  until: string;
  page: number;
}

export const AUDIT_PAGE_SIZE = 50;
const TEXT_KEYS = ["company_id", "actor", "action", "object_type", "object_id", "since", "until"] as const;

export const NO_AUDIT_FILTERS: AuditFilters = {
  company_id: "",
  actor: "",
  action: "",
  object_type: "",
  object_id: "",
  since: "",
  until: "",
  page: 0,
};

export function auditFiltersFromSearch(params: URLSearchParams): AuditFilters {
  const filters = { ...NO_AUDIT_FILTERS };
  for (const key of TEXT_KEYS) filters[key] = params.get(key) ?? "";
  const page = Number(params.get("page") ?? "0");
  filters.page = Number.isInteger(page) && page > 0 ? page : 0;
  return filters;
}

export function auditFiltersToSearch(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of TEXT_KEYS) if (filters[key].trim()) params.set(key, filters[key].trim());
  if (filters.page > 0) params.set("page", String(filters.page));
  return params;
}

/** A local datetime-local value as an ISO 8601 instant with an offset (the API refuses naive times);
 * text that is not a time is passed on for the API to refuse with a reason. */
export function localToIso(value: string): string {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** The query for GET /api/audit; `paged` false for the CSV export, which takes every matching entry. */
export function auditQuery(filters: AuditFilters, paged = true): Query {
  const query: Query = {
    company_id: filters.company_id.trim(),
    actor: filters.actor.trim(),
    action: filters.action.trim(),
    object_type: filters.object_type.trim(),
    object_id: filters.object_id.trim(),
    since: localToIso(filters.since),
    until: localToIso(filters.until),
  };
  if (paged) {
    query.limit = AUDIT_PAGE_SIZE;
    query.offset = filters.page * AUDIT_PAGE_SIZE;
  }
  return query;
}

export function auditFilterCount(filters: AuditFilters): number {
  return TEXT_KEYS.filter((key) => filters[key].trim() !== "").length;
}
