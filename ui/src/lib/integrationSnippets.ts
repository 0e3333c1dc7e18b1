// Set-up snippets per monitoring tool, with this server's URLs and the company's credentials filled in
// (docs/integrations/*.md). A key or secret is known only right after it was issued: otherwise a
// placeholder says where to get one, never a made-up value.

export interface SnippetCredentials {
  apiKey: string | null;
  hmacSecret: string | null;
}

export interface Snippet {
  tool: string;
  title: string;
  steps: string;
  code: string;
}

export const KEY_PLACEHOLDER = "<API key: issue one under Credentials, it is shown once>";
export const SECRET_PLACEHOLDER = "<HMAC secret: rotate it under Credentials, it is shown once>";

export function snippets(origin: string, creds: SnippetCredentials): Snippet[] {
  const base = origin.replace(/\/+$/, "");
  const key = creds.apiKey ?? KEY_PLACEHOLDER;
  const secret = creds.hmacSecret ?? SECRET_PLACEHOLDER;
  return [
    {
      tool: "datadog",
      title: "Datadog",
      steps: "Integrations → Webhooks → New: name alert-whisperer, this URL, these custom headers, encode as form off; payload template in docs/integrations/datadog.md. Mention @webhook-alert-whisperer in monitors.",
      code: `URL: ${base}/api/webhooks/datadog\nCustom headers: ${JSON.stringify({ "X-API-Key": key })}`,
    },
    {
      tool: "zabbix",
      title: "Zabbix",
      steps: "Import docs/integrations/zabbix_mediatype.yaml, then define these global macros (Administration → General → Macros, secret text for the key and secret).",
      code: [
        `{$ALERT_WHISPERER.URL} = ${base}/api/webhooks/zabbix`,
        `{$ALERT_WHISPERER.API_KEY} = ${key}`,
        `{$ALERT_WHISPERER.HMAC_SECRET} = ${secret}`,
      ].join("\n"),
    },
    {
      tool: "alertmanager",
      title: "Prometheus Alertmanager",
      steps: "Add this receiver to alertmanager.yml (send_resolved is needed for recoveries) and route to it.",
      code: [
        "receivers:",
        "  - name: alert-whisperer",
        "    webhook_configs:",
        `      - url: ${base}/api/webhooks/alertmanager`,
        "        send_resolved: true",
        "        max_alerts: 0",
        "        http_config:",
        "          authorization:",
        "            type: Bearer",
        `            credentials: ${key}`,
      ].join("\n"),
    },
    {
      tool: "cloudwatch",
      title: "CloudWatch via SNS",
      steps: "Subscribe the alarm's SNS topic to this URL, then add the topic ARN to the allowed topics below (docs/integrations/cloudwatch-sns.md).",
      code: [
        "aws sns subscribe --region REGION --topic-arn arn:aws:sns:REGION:ACCOUNT_ID:TOPIC \\",
        "  --protocol https \\",
        `  --notification-endpoint '${base}/api/webhooks/cloudwatch?api_key=${key}'`,
      ].join("\n"),
    },
    {
      tool: "webhook",
      title: "Generic webhook (any tool, curl)",
      steps: "Sign each delivery with the HMAC secret (docs/webhook-signing.md); retries reuse their X-Delivery-ID.",
      code: [
        `API_KEY='${key}'`,
        `HMAC_SECRET='${secret}'`,
        `body='{"asset_name":"db-prod-01","signature":"disk_space_critical","severity":"high","message":"Disk at 95%","tool_source":"curl"}'`,
        'ts=$(date +%s); id=$(uuidgen)',
        `sig=$(printf 'v2\\n%s\\n%s\\n%s' "$ts" "$id" "$body" | openssl dgst -sha256 -hmac "$HMAC_SECRET" -hex | sed 's/^.* //')`,
        `curl -sS ${base}/api/webhooks/alerts -H "X-API-Key: $API_KEY" -H "X-Timestamp: $ts" \\`,
        `  -H "X-Signature: v2=$sig" -H "X-Delivery-ID: $id" -H 'Content-Type: application/json' -d "$body"`,
      ].join("\n"),
    },
  ];
}
