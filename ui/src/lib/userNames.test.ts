import { describe, expect, it } from "vitest";
import { nameOf, namesIn } from "./userNames";

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

describe("namesIn", () => {
  it("reads each user id in a server's text as the person's name, leaving other words alone", () => {
    const name = (id: string) => (id === "usr_0123456789abcdef" ? "Tess Tech" : id);
    expect(namesIn("assigned by usr_0123456789abcdef", name)).toBe("assigned by Tess Tech");
    expect(namesIn("usr_0123456789abcdef asked usr_ffffffffffffffff", name)).toBe("Tess Tech asked usr_ffffffffffffffff");
    expect(namesIn("not usr_short nor xusr_0123456789abcdef", name)).toBe("not usr_short nor xusr_0123456789abcdef");
  });
});
