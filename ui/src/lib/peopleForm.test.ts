import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import type { UserPublic } from "../api/types";
import {
  assignableRoles,
  createBody,
  mayManage,
  newPersonDraft,
  personDraftOf,
  personErrorsOf,
  suggestPassword,
  updateBody,
} from "./peopleForm";

const ANA: UserPublic = {
  id: "usr_ana",
  email: "ana@example.com",
  name: "Ana Ortiz",
  role: "technician",
  category: "Network",
  company_ids: ["cmp_a"],
  disabled: false,
  created_at: "2026-01-01T00:00:00Z",
};

describe("who may give which role", () => {
  it("lets company admins give only the technician role, and the MSP admin any", () => {
    expect(assignableRoles("company_admin")).toEqual(["technician"]);
    expect(assignableRoles("msp_admin")).toEqual(["technician", "company_admin", "msp_admin"]);
    expect(assignableRoles("technician")).toEqual([]);
    expect(assignableRoles("someone")).toEqual([]);
  });

  it("lets company admins manage technicians but not other company admins", () => {
    expect(mayManage("company_admin", "technician")).toBe(true);
    expect(mayManage("company_admin", "company_admin")).toBe(false);
    expect(mayManage("msp_admin", "msp_admin")).toBe(true);
    expect(mayManage("technician", "technician")).toBe(false);
  });
});

describe("the add form's body", () => {
  it("starts as a technician of the page's company", () => {
    expect(newPersonDraft("company_admin", "cmp_a")).toMatchObject({ role: "technician", company_ids: ["cmp_a"] });
  });

  it("sends the trimmed fields, and no category when none is typed", () => {
    const draft = { ...newPersonDraft("company_admin", "cmp_a"), email: " new@example.com ", name: " New ", password: "pw" };
    expect(createBody(draft)).toEqual({ email: "new@example.com", name: "New", role: "technician", password: "pw", company_ids: ["cmp_a"] });
    expect(createBody({ ...draft, category: " Cloud " }).category).toBe("Cloud");
  });
});

describe("the edit form's body", () => {
  it("is empty when nothing changed", () => {
    expect(updateBody(ANA, personDraftOf(ANA))).toEqual({});
    expect(updateBody(ANA, { ...personDraftOf(ANA), email: " ANA@example.com" })).toEqual({});
  });

  it("sends only what changed, a blank category as null and a typed password", () => {
    const draft = { ...personDraftOf(ANA), category: "  ", disabled: true, password: "new one" };
    expect(updateBody(ANA, draft)).toEqual({ category: null, disabled: true, password: "new one" });
  });

  it("sends the companies when the set differs, not when only their order does", () => {
    const two = { ...ANA, company_ids: ["cmp_a", "cmp_b"] };
    expect(updateBody(two, { ...personDraftOf(two), company_ids: ["cmp_b", "cmp_a"] })).toEqual({});
    expect(updateBody(two, { ...personDraftOf(two), company_ids: ["cmp_b"] })).toEqual({ company_ids: ["cmp_b"] });
  });
});

describe("the API's refusals beside their fields", () => {
  it("puts validation items and model-level messages beside the field", () => {
    const error = new ApiError(422, "x", [
      { loc: ["body", "password"], msg: "Value error, must have at least 12 characters" },
      { loc: ["body"], msg: "Value error, company_ids: a technician belongs to at least one company" },
    ]);
    expect(personErrorsOf(error).fields).toEqual({
      password: ["must have at least 12 characters"],
      company_ids: ["company_ids: a technician belongs to at least one company"],
    });
  });

  it("gives a taken email (409) to the email field and core's one-sentence reasons to the field they name", () => {
    const taken = "a user with email ana@example.com already exists";
    expect(personErrorsOf(new ApiError(409, taken, taken))).toEqual({ fields: { email: [taken] }, form: [] });
    const weak = "password must not contain your email address";
    expect(personErrorsOf(new ApiError(422, weak, weak)).fields).toEqual({ password: [weak] });
    const missing = "no company with id cmp_x";
    expect(personErrorsOf(new ApiError(422, missing, missing)).fields).toEqual({ company_ids: [missing] });
  });

  it("keeps a refusal that names no field for the whole form", () => {
    const refused = "you can only add users to your own companies";
    expect(personErrorsOf(new ApiError(403, refused, refused))).toEqual({ fields: {}, form: [refused] });
  });
});

describe("suggestPassword", () => {
  it("makes four groups of four from the random values it is given", () => {
    const password = suggestPassword((into) => into.map((_, i) => i * 7));
    expect(password).toMatch(/^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}$/);
    expect(new Set(password).size).toBeGreaterThanOrEqual(5);
  });
});
