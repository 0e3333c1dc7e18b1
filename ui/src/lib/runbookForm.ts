// The runbook editor's draft: text areas with one entry per line, turned into the API's body and back.
import type { Runbook, RunbookCreate } from "../api/pageTypes";

export interface RunbookDraft {
  company_id: string; // "" for a global runbook
  name: string;
  description: string;
  signatures: string;
  risk_level: "low" | "medium" | "high";
  executor: "ssm" | "local";
  actions: string;
  rollback_actions: string;
  pre_check: string;
  post_check: string;
  /** One parameter a line: `name source pattern` (the pattern is the rest of the line). */
  parameters: string;
  auto_approve: boolean;
  timeout_seconds: string;
  /** Kept as it was: set by `alert-whisperer demo`, not by people. */
  demo: boolean;
}

export const RUNBOOK_FIELDS = [
  "company_id",
  "name",
  "description",
  "signatures",
  "risk_level",
  "executor",
  "actions",
  "rollback_actions",
  "pre_check",
  "post_check",
  "parameters",
  "auto_approve",
  "timeout_seconds",
] as const;

export function emptyDraft(companyId: string): RunbookDraft {
  return {
    company_id: companyId,
    name: "",
    description: "",
    signatures: "",
    risk_level: "low",
    executor: "ssm",
    actions: "",
    rollback_actions: "",
    pre_check: "",
    post_check: "",
    parameters: "",
    auto_approve: false,
    timeout_seconds: "300",
    demo: false,
  };
}

export function draftOf(runbook: Runbook): RunbookDraft {
  return {
    company_id: runbook.company_id ?? "",
    name: runbook.name,
    description: runbook.description,
    signatures: runbook.signatures.join("\n"),
    risk_level: runbook.risk_level,
    executor: runbook.executor,
    actions: runbook.actions.join("\n"),
    rollback_actions: runbook.rollback_actions.join("\n"),
    pre_check: runbook.pre_check ?? "",
    post_check: runbook.post_check ?? "",
    parameters: runbook.parameters.map((p) => `${p.name} ${p.source} ${p.pattern}`).join("\n"),
    auto_approve: runbook.auto_approve,
    timeout_seconds: String(runbook.timeout_seconds),
    demo: runbook.demo,
  };
}

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "");
}

export function parseParameters(text: string): { name: string; source: string; pattern: string }[] {
  return lines(text).map((line) => {
    const [name = "", source = "", ...rest] = line.trim().split(/\s+/);
    return { name, source, pattern: rest.join(" ") };
  });
}

/** The body for POST (with company_id) or PUT (without); the API does every check, so bad values
 * are sent as they are and come back as 422 messages beside their fields. */
export function bodyOf(draft: RunbookDraft, forCreate: boolean): RunbookCreate {
  const timeout = draft.timeout_seconds.trim();
  const body: RunbookCreate = {
    name: draft.name,
    description: draft.description,
    signatures: lines(draft.signatures).map((s) => s.trim()),
    risk_level: draft.risk_level,
    executor: draft.executor,
    actions: lines(draft.actions),
    rollback_actions: lines(draft.rollback_actions),
    pre_check: draft.pre_check.trim() ? draft.pre_check : null,
    post_check: draft.post_check.trim() ? draft.post_check : null,
    parameters: parseParameters(draft.parameters),
    auto_approve: draft.auto_approve,
    // Not a number stays text, so the API names the field instead of the UI guessing.
    timeout_seconds: (/^-?\d+$/.test(timeout) ? Number(timeout) : timeout) as number,
    demo: draft.demo,
  };
  if (forCreate) body.company_id = draft.company_id || null;
  return body;
}

/** "83%" from a 0..1 rate, "—" with no runs. */
export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)}%`;
}
