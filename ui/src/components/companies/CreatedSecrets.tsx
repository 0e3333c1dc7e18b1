// The API key and HMAC secret of a company just added: the only time anyone sees them.
import type { SnippetCredentials } from "../../lib/integrationSnippets";
import { CopyBox } from "../forms/Field";

export function CreatedSecrets({ fresh, onDismiss }: { fresh: SnippetCredentials; onDismiss: () => void }) {
  return (
    <section
      aria-labelledby="created-secrets"
      className="mb-4 rounded-md border border-amber-300 bg-amber-50 p-4 text-amber-950"
      data-testid="created-secrets"
    >
      <h2 id="created-secrets" className="text-lg font-semibold">Company added: store its API key and HMAC secret now</h2>
      <p className="mt-1 text-sm">
        They will not be shown again. Put them in your password manager or your monitoring tools now; they are also filled into the
        Integrations snippets until you leave this page. If they are lost, issue a new key or rotate the secret under Credentials.
      </p>
      {fresh.apiKey && <CopyBox label="API key" value={fresh.apiKey} testId="created-api-key" />}
      {fresh.hmacSecret && <CopyBox label="HMAC secret" value={fresh.hmacSecret} testId="created-hmac-secret" />}
      <button type="button" className="btn-secondary mt-3" onClick={onDismiss}>
        I have stored them
      </button>
    </section>
  );
}
