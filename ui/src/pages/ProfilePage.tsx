// Profile: name, password, notification preferences, and the signed-in devices with sign-out per device
// and everywhere.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { AuthSession } from "../api/pageTypes";
import { useApi, useAuth, useMe } from "../auth/AuthContext";
import { Field, FormErrors } from "../components/forms/Field";
import { NotificationPreferencesSection } from "../components/profile/NotificationPreferencesForm";
import { Empty, ErrorState, Loading, PageHeader } from "../components/states";
import { fieldErrorsOf, NO_ERRORS, type FieldErrors } from "../lib/fieldErrors";
import { formatTime } from "../lib/time";

export function ProfilePage() {
  const me = useMe();
  return (
    <>
      <PageHeader title="Profile" />
      <div className="grid gap-4 lg:grid-cols-2">
        <section className="card" aria-labelledby="who">
          <h2 id="who" className="text-lg font-semibold">Account</h2>
          <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-600">Email</dt>
            <dd>{me.email}</dd>
            <dt className="text-slate-600">Role</dt>
            <dd>{me.role.replace("_", " ")}</dd>
            {me.category && (
              <>
                <dt className="text-slate-600">Category</dt>
                <dd>{me.category}</dd>
              </>
            )}
            <dt className="text-slate-600">Password changed</dt>
            <dd>{formatTime(me.password_changed_at)}</dd>
          </dl>
        </section>
        <PasswordForm />
      </div>
      <NotificationPreferencesSection />
      <Sessions />
    </>
  );
}

function PasswordForm() {
  const api = useApi();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [done, setDone] = useState(false);
  const [saving, setSaving] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    if (next !== confirm) {
      setErrors({ fields: { confirm: ["does not match the new password"] }, form: [] });
      return;
    }
    setSaving(true);
    try {
      await api.post("/api/users/me/password", { current_password: current, new_password: next });
      setErrors(NO_ERRORS);
      setDone(true);
      setCurrent("");
      setNext("");
      setConfirm("");
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form noValidate className="card space-y-3" aria-labelledby="pw" onSubmit={(e) => void submit(e)}>
      <h2 id="pw" className="text-lg font-semibold">Change password</h2>
      <Field label="Current password" errors={errors.fields.current_password}>
        <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
      </Field>
      <Field label="New password" errors={errors.fields.new_password}>
        <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
      </Field>
      <Field label="Repeat the new password" errors={errors.fields.confirm}>
        <input type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
      </Field>
      <FormErrors errors={errors.form} />
      {done && (
        <p role="status" className="text-sm text-emerald-800">
          Password changed. Your other devices are signed out; this one stays signed in.
        </p>
      )}
      <button type="submit" className="btn-primary" disabled={saving}>
        {saving ? "Changing…" : "Change password"}
      </button>
    </form>
  );
}

function Sessions() {
  const api = useApi();
  const { session } = useAuth();
  const queryClient = useQueryClient();
  const sessions = useQuery({ queryKey: ["auth", "sessions"], queryFn: () => api.get<AuthSession[]>("/api/auth/sessions") });
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(`/api/auth/sessions/${id}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["auth", "sessions"] }),
  });
  const everywhere = useMutation({
    mutationFn: () => api.post("/api/auth/logout-all"),
    // This device's tokens died with the others: back to the sign-in page.
    onSuccess: () => session.clear(),
  });

  return (
    <section className="card mt-4" aria-labelledby="sessions">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="sessions" className="text-lg font-semibold">Signed-in devices</h2>
        <button type="button" className="btn-danger" disabled={everywhere.isPending} onClick={() => everywhere.mutate()}>
          Sign out everywhere
        </button>
      </div>
      {revoke.isError && <FormErrors errors={[`Could not sign that device out: ${revoke.error.message}`]} />}
      {everywhere.isError && <FormErrors errors={[`Could not sign out everywhere: ${everywhere.error.message}`]} />}
      <div className="mt-3">
        {sessions.isPending ? (
          <Loading what="your devices" />
        ) : sessions.isError ? (
          <ErrorState error={sessions.error} what="your devices" retry={() => void sessions.refetch()} />
        ) : sessions.data.length === 0 ? (
          <Empty title="No signed-in devices">Sign in again to see this one.</Empty>
        ) : (
          <ul className="divide-y divide-slate-200" data-testid="session-list">
            {sessions.data.map((s) => (
              <li key={s.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                <div className="min-w-0">
                  <p className="font-medium break-all">
                    {s.user_agent || "unknown device"}
                    {s.current && <span className="ml-2 rounded bg-emerald-100 px-1.5 text-xs text-emerald-950">this device</span>}
                  </p>
                  <p className="text-slate-600">
                    {s.ip} · signed in {formatTime(s.created_at)} · last used {formatTime(s.last_used_at)}
                  </p>
                </div>
                {!s.current && (
                  <button
                    type="button"
                    className="btn-secondary"
                    aria-label={`Sign out ${s.user_agent || "device"} (${s.ip})`}
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate(s.id)}
                  >
                    Sign out
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
