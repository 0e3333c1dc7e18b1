// A labelled control with its hint and the API's messages for it, tied together for screen readers.
import { cloneElement, useId, useState, type ReactElement, type ReactNode } from "react";

interface FieldProps {
  label: string;
  hint?: ReactNode;
  errors?: string[];
  /** One control; it gets the id, aria-describedby and aria-invalid. */
  children: ReactElement<Record<string, unknown>>;
  className?: string;
}

export function Field({ label, hint, errors, children, className }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const described = [hint ? hintId : null, errors?.length ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={className}>
      <label htmlFor={id} className="label">
        {label}
      </label>
      {cloneElement(children, {
        id,
        "aria-describedby": described,
        "aria-invalid": errors?.length ? true : undefined,
        className: `${String(children.props.className ?? "field")} mt-1`,
      })}
      {hint && (
        <p id={hintId} className="mt-1 text-xs text-slate-600">
          {hint}
        </p>
      )}
      {errors && errors.length > 0 && (
        <p id={errorId} className="mt-1 text-sm text-red-800" data-testid="field-error">
          {errors.join("; ")}
        </p>
      )}
    </div>
  );
}

export function FormErrors({ errors }: { errors: string[] }) {
  if (errors.length === 0) return null;
  return (
    <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">
      {errors.map((e) => (
        <p key={e}>{e}</p>
      ))}
    </div>
  );
}

/** A form's submit button (its label while busy) and Cancel. */
export function SubmitOrCancel({ label, busyLabel, busy, onCancel }: { label: string; busyLabel: string; busy: boolean; onCancel: () => void }) {
  return (
    <div className="flex gap-2">
      <button type="submit" className="btn-primary" disabled={busy}>
        {busy ? busyLabel : label}
      </button>
      <button type="button" className="btn-secondary" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** A value with a button that copies it (secrets shown once, set-up snippets). */
export function CopyBox({ label, value, testId }: { label: string; value: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard (plain http): the text stays selectable
    }
  }
  return (
    <div className="mt-2">
      <p className="label">{label}</p>
      <div className="mt-1 flex items-start gap-2">
        <pre
          className="min-w-0 flex-1 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs whitespace-pre text-slate-100"
          data-testid={testId}
          tabIndex={0}
          aria-label={label}
        >
          {value}
        </pre>
        <button type="button" className="btn-secondary shrink-0" aria-label={`Copy ${label}`} onClick={() => void copy()}>
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
    </div>
  );
}
