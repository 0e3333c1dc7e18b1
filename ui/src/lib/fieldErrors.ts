// A 422 from the API, split into messages per form field and messages for the whole form.
import { ApiError } from "../api/client";

export interface FieldErrors {
  /** By field path, top-level field first ("timeout_seconds", "actions.1"): shown next to the field. */
  fields: Record<string, string[]>;
  /** Errors no field owns (or not a 422 at all): shown above the form's buttons. */
  form: string[];
}

export const NO_ERRORS: FieldErrors = { fields: {}, form: [] };

interface Item {
  loc?: (string | number)[];
  msg?: string;
}

function add(into: Record<string, string[]>, key: string, message: string) {
  (into[key] ??= []).push(message);
}

/** `known` are the form's field names: a model-level message "rollback_actions: …" goes to that field.
 * `root` is the body field the form edits (e.g. "policy"): its fields are the form's fields. */
export function fieldErrorsOf(error: unknown, known: readonly string[] = [], root?: string): FieldErrors {
  if (!(error instanceof ApiError)) return { fields: {}, form: [error instanceof Error ? error.message : String(error)] };
  if (error.status !== 422 || !Array.isArray(error.detail)) return { fields: {}, form: [error.message] };
  const fields: Record<string, string[]> = {};
  const form: string[] = [];
  for (const item of error.detail as Item[]) {
    let path = (item.loc ?? []).filter((part) => part !== "body" && part !== "query").map(String);
    if (root !== undefined && path[0] === root) path = path.slice(1);
    const message = (item.msg ?? "invalid").replace(/^Value error, /, "");
    if (path.length > 0) {
      add(fields, path[0]!, path.length > 1 ? `${path.slice(1).join(".")}: ${message}` : message);
      continue;
    }
    const owner = known.find((name) => message.startsWith(`${name}:`) || message.includes(` ${name} `));
    if (owner) add(fields, owner, message);
    else form.push(message);
  }
  return { fields, form };
}
