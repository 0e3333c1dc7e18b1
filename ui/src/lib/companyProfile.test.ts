import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import type { Company } from "../api/pageTypes";
import { EMPTY_PROFILE, parseProfile, profileDraftOf, profileErrorsOf } from "./companyProfile";

const COMPANY = {
  id: "c1",
  name: "Globex",
  critical_assets: ["db-prod-01", "i-0abc"],
  assets: [
    { name: "db-prod-01", asset_id: "i-0abc", kind: "database", tags: ["prod", "eu"], instance_ids: [] },
    { name: "web-01", asset_id: null, kind: null, tags: [], instance_ids: ["i-0aaa", "i-0bbb"] },
    { name: "lb-01", asset_id: null, kind: "network", tags: [], instance_ids: [] },
  ],
  monitoring_integrations: [
    { tool: "datadog", name: "Production Datadog", enabled: true },
    { tool: "zabbix", name: "", enabled: false },
  ],
} as unknown as Company;

describe("company profile form", () => {
  it("sends back what it was given when nothing changed", () => {
    // Instances have no column: each asset keeps its namesake's.
    const parsed = parseProfile(profileDraftOf(COMPANY), COMPANY.assets);
    expect(parsed.errors).toEqual({});
    expect(parsed.body).toEqual({
      name: COMPANY.name,
      critical_assets: COMPANY.critical_assets,
      assets: COMPANY.assets,
      monitoring_integrations: COMPANY.monitoring_integrations,
    });
  });

  it("writes one entry a line, leaving out the columns an entry does not have", () => {
    const draft = profileDraftOf(COMPANY);
    expect(draft.assets).toBe("db-prod-01, i-0abc, database, prod, eu\nweb-01\nlb-01, , network");
    expect(draft.monitoring_integrations).toBe("datadog, Production Datadog\nzabbix, , disabled");
  });

  it("reads what a person types: blank lines skipped, spaces trimmed, commas in critical assets", () => {
    const { body, lines } = parseProfile({
      name: "  Initech ",
      critical_assets: "db-1, db-2\n\n web-1 ",
      assets: "\n db-1 ,,server\n\nweb-1",
      monitoring_integrations: "zabbix, Old Zabbix, Disabled\n\nprometheus",
    });
    expect(body.name).toBe("  Initech "); // the API trims it and refuses it blank
    expect(body.critical_assets).toEqual(["db-1", "db-2", "web-1"]);
    expect(lines.critical_assets).toEqual([1, 1, 3]);
    expect(body.assets).toEqual([
      { name: "db-1", asset_id: null, kind: "server", tags: [], instance_ids: [] },
      { name: "web-1", asset_id: null, kind: null, tags: [], instance_ids: [] },
    ]);
    expect(lines.assets).toEqual([2, 4]);
    expect(body.monitoring_integrations).toEqual([
      { tool: "zabbix", name: "Old Zabbix", enabled: false },
      { tool: "prometheus", name: "", enabled: true },
    ]);
    expect(lines.monitoring_integrations).toEqual([1, 3]);
  });

  it("sends an empty form as empty lists", () => {
    expect(parseProfile(EMPTY_PROFILE).body).toEqual({ name: "", critical_assets: [], assets: [], monitoring_integrations: [] });
  });

  it("refuses an integration line its format cannot say", () => {
    const { errors } = parseProfile({ ...EMPTY_PROFILE, monitoring_integrations: "datadog\nzabbix, Z, off\nnagios, N, enabled, x" });
    expect(errors).toEqual({
      monitoring_integrations: [
        "line 2: write tool, display name and then enabled or disabled, nothing more",
        "line 3: write tool, display name and then enabled or disabled, nothing more",
      ],
    });
  });

  it("says the API's list positions as the lines they came from", () => {
    const { lines } = parseProfile({ ...EMPTY_PROFILE, assets: "db-1\n\n, i-0abc", critical_assets: "a\n\nb" });
    const error = new ApiError(422, "x", [
      { loc: ["body", "name"], msg: "Value error, must not be blank" },
      { loc: ["body", "assets", 1, "name"], msg: "String should have at least 1 character" },
      { loc: ["body", "critical_assets", 1], msg: "String should have at most 255 characters" },
      { loc: ["body", "assets"], msg: "List should have at most 5000 items" },
    ]);
    expect(profileErrorsOf(error, lines)).toEqual({
      fields: {
        name: ["must not be blank"],
        assets: ["line 3 (name): String should have at least 1 character", "List should have at most 5000 items"],
        critical_assets: ["line 3: String should have at most 255 characters"],
      },
      form: [],
    });
  });

  it("shows a refusal that is not about a field, such as a 403, for the whole form", () => {
    const errors = profileErrorsOf(new ApiError(403, "your role (company_admin) lacks companies:create"), parseProfile(EMPTY_PROFILE).lines);
    expect(errors).toEqual({ fields: {}, form: ["your role (company_admin) lacks companies:create"] });
  });
});
