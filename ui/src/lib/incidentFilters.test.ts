import { describe, expect, it } from "vitest";
import { activeFilterCount, filtersFromSearch, filtersToQuery, filtersToSearch, NO_FILTERS } from "./incidentFilters";

describe("incident filters", () => {
  it("round-trip through the URL, leaving defaults out", () => {
    const filters = { ...NO_FILTERS, status: "escalated", q: "disk", sort: "priority" as const };
    const search = filtersToSearch(filters);
    expect(search.toString()).toBe("status=escalated&q=disk&sort=priority");
    expect(filtersFromSearch(search)).toEqual(filters);
    expect(filtersToSearch(NO_FILTERS).toString()).toBe("");
  });

  it("ignore values the API would refuse", () => {
    const filters = filtersFromSearch(new URLSearchParams("status=bogus&severity=huge&sort=random&created_from=yesterday"));
    expect(filters).toEqual(NO_FILTERS);
  });

  it("send whole local days as instants, the last day included", () => {
    const query = filtersToQuery({ ...NO_FILTERS, created_from: "2026-11-01", created_to: "2026-11-03" });
    expect(query.created_from).toBe(new Date("2026-11-01T00:00:00").toISOString());
    expect(query.created_to).toBe(new Date("2026-11-04T00:00:00").toISOString());
    expect(query.sort).toBe("updated");
  });

  it("omit empty filters and pass the cursor", () => {
    const query = filtersToQuery({ ...NO_FILTERS, q: "  web-1 " }, "abc");
    expect(query).toMatchObject({ q: "web-1", cursor: "abc", status: "" });
  });

  it("count the filters in use, not the sort", () => {
    expect(activeFilterCount({ ...NO_FILTERS, sort: "priority" })).toBe(0);
    expect(activeFilterCount({ ...NO_FILTERS, status: "new", assignee: "u1" })).toBe(2);
  });
});
