// A company's profile as its form edits it: the name, and lists typed one entry a line (critical assets,
// assets, monitoring integrations), turned into the body of POST or PUT /api/companies. The API checks
// every value; the form only shapes the body, refuses what its line format cannot say, and turns the
// API's list positions back into line numbers.
import type { Asset, Company, MonitoringIntegration } from "../api/pageTypes";
import { fieldErrorsOf, type FieldErrors } from "./fieldErrors";

export interface ProfileDraft {
  name: string;
  /** Asset names or ids, one a line (or comma separated). */
  critical_assets: string;
  /** One a line: `name, asset id, kind, tag, tag…`; all but the name may be left out. */
  assets: string;
  /** One a line: `tool, display name`, and `, disabled` for a tool that no longer sends. */
  monitoring_integrations: string;
}

export const PROFILE_FIELDS = ["name", "critical_assets", "assets", "monitoring_integrations"] as const;
type ListField = Exclude<(typeof PROFILE_FIELDS)[number], "name">;

export const EMPTY_PROFILE: ProfileDraft = { name: "", critical_assets: "", assets: "", monitoring_integrations: "" };

export interface ProfileBody {
  name: string;
  critical_assets: string[];
  assets: Asset[];
  monitoring_integrations: MonitoringIntegration[];
}

/** The body, and for each list the line each entry came from (for the API's messages). */
export interface ParsedProfile {
  body: ProfileBody;
  lines: Record<ListField, number[]>;
  /** What the line format cannot express, by field: nothing is sent while there is any. */
  errors: Record<string, string[]>;
}

function withoutTrailingBlanks(columns: string[]): string[] {
  const kept = [...columns];
  while (kept.length > 1 && kept[kept.length - 1] === "") kept.pop();
  return kept;
}

function assetLine(asset: Asset): string {
  return withoutTrailingBlanks([asset.name, asset.asset_id ?? "", asset.kind ?? "", ...(asset.tags ?? [])]).join(", ");
}

function integrationLine(integration: MonitoringIntegration): string {
  const columns = [integration.tool, integration.name ?? ""];
  if (integration.enabled === false) columns.push("disabled");
  return withoutTrailingBlanks(columns).join(", ");
}

export function profileDraftOf(company: Company): ProfileDraft {
  return {
    name: company.name,
    critical_assets: (company.critical_assets ?? []).join("\n"),
    assets: (company.assets ?? []).map(assetLine).join("\n"),
    monitoring_integrations: (company.monitoring_integrations ?? []).map(integrationLine).join("\n"),
  };
}

/** Non-blank lines with their 1-based line numbers, split into trimmed columns at commas. */
function rows(text: string): { line: number; columns: string[] }[] {
  return text
    .split("\n")
    .map((raw, index) => ({ line: index + 1, columns: raw.split(",").map((c) => c.trim()) }))
    .filter((row) => row.columns.some(Boolean));
}

function assetOf(columns: string[], previous: Asset[]): Asset {
  const [name = "", assetId = "", kind = "", ...tags] = columns;
  // The line format has no column for the instances an SSM runbook runs on (set over the API): an asset
  // keeps those of its namesake, so saving the form never drops them.
  const instance_ids = previous.find((asset) => asset.name === name)?.instance_ids ?? [];
  return { name, asset_id: assetId || null, kind: kind || null, tags: tags.filter(Boolean), instance_ids };
}

export function parseProfile(draft: ProfileDraft, previous: Asset[] = []): ParsedProfile {
  const errors: Record<string, string[]> = {};
  const critical = draft.critical_assets
    .split("\n")
    .flatMap((raw, index) => raw.split(",").map((name) => ({ line: index + 1, name: name.trim() })))
    .filter((entry) => entry.name);
  const assets = rows(draft.assets);
  const integrations = rows(draft.monitoring_integrations);
  for (const { line, columns } of integrations) {
    const [, , state = "", ...rest] = columns;
    if (rest.some(Boolean) || !["", "enabled", "disabled"].includes(state.toLowerCase())) {
      (errors.monitoring_integrations ??= []).push(
        `line ${line}: write tool, display name and then enabled or disabled, nothing more`,
      );
    }
  }
  return {
    body: {
      name: draft.name,
      critical_assets: critical.map((entry) => entry.name),
      assets: assets.map((row) => assetOf(row.columns, previous)),
      monitoring_integrations: integrations.map(({ columns: [tool = "", name = "", state = ""] }) => ({
        tool,
        name,
        enabled: state.toLowerCase() !== "disabled",
      })),
    },
    lines: {
      critical_assets: critical.map((entry) => entry.line),
      assets: assets.map((row) => row.line),
      monitoring_integrations: integrations.map((row) => row.line),
    },
    errors,
  };
}

/** The API's refusal beside each field, with "2.name: …" said as "line 3 (name): …". */
export function profileErrorsOf(error: unknown, lines: ParsedProfile["lines"]): FieldErrors {
  const split = fieldErrorsOf(error, PROFILE_FIELDS);
  const fields: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(split.fields)) {
    const numbers = lines[field as ListField];
    fields[field] = messages.map((message) => {
      const at = numbers && /^(\d+)(?:\.([\w.]+))?: (.*)$/s.exec(message);
      const line = at ? numbers[Number(at[1])] : undefined;
      if (!at || line === undefined) return message;
      return `line ${line}${at[2] ? ` (${at[2]})` : ""}: ${at[3]}`;
    });
  }
  return { fields, form: split.form };
}
