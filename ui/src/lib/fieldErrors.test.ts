import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { fieldErrorsOf } from "./fieldErrors";

describe("fieldErrorsOf", () => {
  it("puts each 422 item beside its top-level field, with the rest of its path", () => {
    const error = new ApiError(422, "x", [
      { loc: ["body", "timeout_seconds"], msg: "Input should be greater than or equal to 5" },
      { loc: ["body", "actions", 1], msg: "Value error, a command must not be blank" },
    ]);
    expect(fieldErrorsOf(error)).toEqual({
      fields: {
        timeout_seconds: ["Input should be greater than or equal to 5"],
        actions: ["1: a command must not be blank"],
      },
      form: [],
    });
  });

  it("gives a model-level message to the field it names, else to the form", () => {
    const error = new ApiError(422, "x", [
      { loc: ["body"], msg: "Value error, rollback_actions: 2 for 1 actions; …" },
      { loc: ["body"], msg: "Value error, placeholders {host} name no declared parameter" },
    ]);
    const split = fieldErrorsOf(error, ["actions", "rollback_actions"]);
    expect(split.fields).toEqual({ rollback_actions: ["rollback_actions: 2 for 1 actions; …"] });
    expect(split.form).toEqual(["placeholders {host} name no declared parameter"]);
  });

  it("shows any other failure as one form message", () => {
    expect(fieldErrorsOf(new ApiError(409, "a runbook with this name exists"))).toEqual({
      fields: {},
      form: ["a runbook with this name exists"],
    });
    expect(fieldErrorsOf(new Error("boom")).form).toEqual(["boom"]);
  });

  it("reads the fields under a root body field as the form's own", () => {
    const error = new ApiError(422, "x", [
      { loc: ["body", "policy", "window_minutes"], msg: "Input should be less than or equal to 60" },
      { loc: ["body", "policy", "sla_overrides", "high", "response_minutes"], msg: "Input should be greater than or equal to 1" },
    ]);
    expect(fieldErrorsOf(error, [], "policy").fields).toEqual({
      window_minutes: ["Input should be less than or equal to 60"],
      sla_overrides: ["high.response_minutes: Input should be greater than or equal to 1"],
    });
  });
});
