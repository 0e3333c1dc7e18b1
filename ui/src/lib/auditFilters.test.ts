import { describe, expect, it } from "vitest";
import {
  AUDIT_PAGE_SIZE,
  auditFilterCount,
  auditFiltersFromSearch,
  auditFiltersToSearch,
  auditQuery,
  localToIso,
  NO_AUDIT_FILTERS,
} from "./auditFilters";

describe("audit filters", () => {
  it("round-trip through the address, leaving out what is empty", () => {
    const filters = { ...NO_AUDIT_FILTERS, action: " runbook.create ", actor: "system", page: 2 };
    const search = auditFiltersToSearch(filters);
    expect(search.toString()).toBe("actor=system&action=runbook.create&page=2");
    expect(auditFiltersFromSearch(search)).toEqual({ ...filters, action: "runbook.create" });
  });

  it("ignore a page that is not a whole positive number", () => {
    expect(auditFiltersFromSearch(new URLSearchParams("page=-3")).page).toBe(0);
    expect(auditFiltersFromSearch(new URLSearchParams("page=1.5")).page).toBe(0);
  });

  it("page the JSON query and not the CSV one", () => {
    const filters = { ...NO_AUDIT_FILTERS, object_type: "runbook", page: 3 };
    expect(auditQuery(filters)).toMatchObject({ object_type: "runbook", limit: AUDIT_PAGE_SIZE, offset: 150 });
    const csv = auditQuery(filters, false);
    expect(csv.limit).toBeUndefined();
    expect(csv.offset).toBeUndefined();
  });

  it("send local times as instants with an offset, and pass nonsense on for the API to refuse", () => {
    const iso = localToIso("2030-01-31T09:00");
    expect(iso).toMatch(/^2030-01-3[01]T\d\d:\d\d:00\.000Z$/);
    expect(new Date(iso).getTime()).toBe(new Date(2030, 0, 31, 9, 0).getTime());
    expect(localToIso("soon")).toBe("soon");
    expect(localToIso("")).toBe("");
  });

  it("count the filters in use", () => {
    expect(auditFilterCount(NO_AUDIT_FILTERS)).toBe(0);
    expect(auditFilterCount({ ...NO_AUDIT_FILTERS, since: "2030-01-01T00:00", page: 4 })).toBe(1);
  });
});
