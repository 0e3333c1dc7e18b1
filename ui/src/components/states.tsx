// Loading, empty, error and not-yet-available states: each says what is happening and what to do.
import type { ReactNode } from "react";
import { ApiError } from "../api/client";

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" aria-live="polite" className="p-4 text-slate-600">
      Loading {what}…
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-center">
      <p className="font-medium text-slate-800">{title}</p>
      {children && <div className="mt-1 text-sm text-slate-600">{children}</div>}
    </div>
  );
}

export function ErrorState({ error, retry, what }: { error: unknown; retry?: () => void; what: string }) {
  const reason = error instanceof Error ? error.message : String(error);
  const hint =
    error instanceof ApiError && error.status === 403
      ? "Your role may not see this; ask an administrator if you need it."
      : error instanceof ApiError && error.status === 0
        ? "Check your network connection; the page retries when you press the button."
        : "Try again; if it keeps failing, the API log says why.";
  return (
    <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900">
      <p className="font-medium">Could not load {what}: {reason}</p>
      <p className="mt-1 text-sm">{hint}</p>
      {retry && (
        <button type="button" onClick={retry} className="btn-secondary mt-3">
          Try again
        </button>
      )}
    </div>
  );
}

/** Something this page cannot show (not found, not for this role): said plainly, with what to do. */
export function Notice({ title, children, testId = "notice" }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <section aria-label={title} className="rounded-lg border border-amber-300 bg-amber-50 p-6 text-amber-950" data-testid={testId}>
      <h2 className="text-lg font-semibold">{title}</h2>
      {children && <p className="mt-1 text-sm">{children}</p>}
    </section>
  );
}

/** A page or panel whose API is not delivered yet: said plainly, never filled with made-up data. */
export function NotAvailable({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Notice title={`${title}: not available yet`} testId="not-available">
      {children ?? "This part of the dashboard is not built yet. The API can be used directly meanwhile (see /docs)."}
    </Notice>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
      <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
      {children && <div className="flex flex-wrap items-center gap-2">{children}</div>}
    </div>
  );
}
