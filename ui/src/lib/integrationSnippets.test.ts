import { describe, expect, it } from "vitest";
import { KEY_PLACEHOLDER, SECRET_PLACEHOLDER, snippets } from "./integrationSnippets";

describe("integration snippets", () => {
  it("fill in this server's endpoints and the credentials just issued", () => {
    const all = snippets("https://aw.example.com/", { apiKey: "awk_abc", hmacSecret: "s3cret" });
    expect(all.map((s) => s.tool)).toEqual(["datadog", "zabbix", "alertmanager", "cloudwatch", "webhook"]);
    const code = Object.fromEntries(all.map((s) => [s.tool, s.code]));
    expect(code.datadog).toContain("https://aw.example.com/api/webhooks/datadog");
    expect(code.datadog).toContain('{"X-API-Key":"awk_abc"}');
    expect(code.alertmanager).toContain("credentials: awk_abc");
    expect(code.cloudwatch).toContain("https://aw.example.com/api/webhooks/cloudwatch?api_key=awk_abc");
    expect(code.zabbix).toContain("{$ALERT_WHISPERER.HMAC_SECRET} = s3cret");
    expect(code.webhook).toContain("HMAC_SECRET='s3cret'");
    expect(code.webhook).toContain("https://aw.example.com/api/webhooks/alerts");
  });

  it("say where to get a credential that is not known, instead of inventing one", () => {
    const all = snippets("https://aw.example.com", { apiKey: null, hmacSecret: null });
    const text = all.map((s) => s.code).join("\n");
    expect(text).toContain(KEY_PLACEHOLDER);
    expect(text).toContain(SECRET_PLACEHOLDER);
    expect(text).not.toContain("awk_");
  });
});
