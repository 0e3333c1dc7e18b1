// A person as the Technicians page's forms edit them, and the bodies for POST and PUT /api/users. The API
// decides who may do what; the forms offer only what it would accept for this caller.
import { ApiError } from "../api/client";
import type { Role, UserCreate, UserPublic, UserUpdate } from "../api/types";
import { fieldErrorsOf, type FieldErrors } from "./fieldErrors";

export const ROLE_LABELS: Record<Role, string> = {
  msp_admin: "MSP admin",
  company_admin: "company admin",
  technician: "technician",
};

// core/accounts/roles.py MANAGEABLE_ROLES: nobody hands out a role above their own, and company admins
// manage technicians, not each other.
const MANAGEABLE: Record<Role, readonly Role[]> = {
  technician: [],
  company_admin: ["technician"],
  msp_admin: ["technician", "company_admin", "msp_admin"],
};

/** The roles `caller` may give (and whose holders they may change and remove). */
export function assignableRoles(caller: string): Role[] {
  return [...(MANAGEABLE[caller as Role] ?? [])];
}

export function mayManage(caller: string, target: string): boolean {
  return assignableRoles(caller).includes(target as Role);
}

/** The API's examples (api/routes/users.py CATEGORY_EXAMPLES); any other category is allowed too. */
export const CATEGORY_SUGGESTIONS = ["Network", "Database", "Security", "Server", "Application", "Cloud"];

export const PERSON_FIELDS = ["email", "name", "role", "category", "company_ids", "password", "disabled"] as const;

export interface PersonDraft {
  email: string;
  name: string;
  role: Role;
  /** As typed; blank is no category. */
  category: string;
  company_ids: string[];
  /** The first password; when editing, blank keeps the current one. */
  password: string;
  disabled: boolean;
}

export function newPersonDraft(caller: string, companyId: string): PersonDraft {
  const roles = assignableRoles(caller);
  return {
    email: "",
    name: "",
    role: roles.includes("technician") ? "technician" : (roles[0] ?? "technician"),
    category: "",
    company_ids: [companyId],
    password: "",
    disabled: false,
  };
}

export function personDraftOf(user: UserPublic): PersonDraft {
  return {
    email: user.email,
    name: user.name ?? "",
    role: user.role,
    category: user.category ?? "",
    company_ids: [...user.company_ids],
    password: "",
    disabled: user.disabled,
  };
}

const categoryOf = (draft: PersonDraft) => draft.category.trim() || null;

export function createBody(draft: PersonDraft): UserCreate {
  const body: UserCreate = {
    email: draft.email.trim(),
    name: draft.name.trim(),
    role: draft.role,
    password: draft.password,
    company_ids: draft.company_ids,
  };
  const category = categoryOf(draft);
  if (category) body.category = category;
  return body;
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === new Set(b).size && new Set([...a, ...b]).size === a.length;

/** Only what changed: the API refuses a company admin any field but `company_ids` for someone who also
 * works for other companies, and the audit trail then records just the change. */
export function updateBody(user: UserPublic, draft: PersonDraft): UserUpdate {
  const body: UserUpdate = {};
  if (draft.email.trim().toLowerCase() !== user.email) body.email = draft.email.trim();
  if (draft.name.trim() !== (user.name ?? "")) body.name = draft.name.trim();
  if (draft.role !== user.role) body.role = draft.role;
  if (categoryOf(draft) !== (user.category ?? null)) body.category = categoryOf(draft);
  if (!sameSet(draft.company_ids, user.company_ids)) body.company_ids = draft.company_ids;
  if (draft.disabled !== user.disabled) body.disabled = draft.disabled;
  if (draft.password) body.password = draft.password;
  return body;
}

/** The API's refusal beside the field it is about: validation items by their path, and the reasons core
 * sends as one sentence ("password must …", "company_ids: …", 409 email taken) by what they name. */
export function personErrorsOf(error: unknown): FieldErrors {
  const split = fieldErrorsOf(error, PERSON_FIELDS);
  if (!(error instanceof ApiError) || typeof error.detail !== "string") return split;
  const reason = error.detail;
  const owner =
    error.status === 409
      ? "email"
      : reason.startsWith("no company with id")
        ? "company_ids"
        : PERSON_FIELDS.find((field) => reason.startsWith(`${field}:`) || reason.startsWith(`${field} `));
  if (!owner) return split;
  return { fields: { ...split.fields, [owner]: [reason] }, form: split.form.filter((m) => m !== reason) };
}

const PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** A first password to hand on: four groups of four, well past the policy's length and variety. */
export function suggestPassword(randomValues: (into: Uint32Array) => Uint32Array = (into) => crypto.getRandomValues(into)): string {
  const picks = randomValues(new Uint32Array(16));
  const letters = [...picks].map((n) => PASSWORD_ALPHABET[n % PASSWORD_ALPHABET.length]!);
  return [0, 4, 8, 12].map((i) => letters.slice(i, i + 4).join("")).join("-");
}
