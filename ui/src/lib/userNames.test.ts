import { describe, expect, it } from "vitest";
import { nameOf } from "./userNames";

const PEOPLE = [
  { id: "usr_ana", name: "Ana Ortiz", role: "technician" },
  { id: "usr_blank", name: "  ", role: "company_admin" },
];

describe("nameOf", () => {
  it("names a person of the directory", () => {
    expect(nameOf(PEOPLE, "usr_ana")).toBe("Ana Ortiz");
  });

  it("falls back to the id for someone unnamed, unknown, or before the directory loaded", () => {
    expect(nameOf(PEOPLE, "usr_blank")).toBe("usr_blank");
    expect(nameOf(PEOPLE, "system")).toBe("system");
    expect(nameOf(undefined, "usr_ana")).toBe("usr_ana");
  });

  it("takes the email of an unnamed person when the caller may list users", () => {
    const emails = [{ id: "usr_blank", email: "blank@example.com" }];
    expect(nameOf(PEOPLE, "usr_blank", emails)).toBe("blank@example.com");
    expect(nameOf(PEOPLE, "usr_ana", emails)).toBe("Ana Ortiz");
  });
});
