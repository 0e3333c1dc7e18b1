// A file the API makes (CSV export) saved by the browser: fetched with the session's bearer token, which
// a plain link could not send, refreshed once on 401 as the API client does.
import { ApiError, reasonOf } from "../api/client";
import type { SessionStore } from "../auth/session";

export async function downloadFile(session: SessionStore, path: string, fallbackName: string): Promise<void> {
  const send = (token: string | null) =>
    fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} }).catch(() => {
      throw new ApiError(0, reasonOf(0, null));
    });
  let token = session.tokens()?.access_token ?? null;
  let response = await send(token);
  if (response.status === 401 && token !== null) {
    token = (await session.refresh(token))?.access_token ?? null;
    if (token === null) throw new ApiError(401, "your session has ended; sign in again");
    response = await send(token);
  }
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => null);
    throw new ApiError(response.status, reasonOf(response.status, body), (body as { detail?: unknown } | null)?.detail);
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "")?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
