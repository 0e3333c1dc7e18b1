// DELETE /api/users/{id} after a confirmation that says what it does for this caller: a company admin takes
// the person out of their companies (someone left in none is disabled); the MSP admin disables the account.
import { useMutation } from "@tanstack/react-query";
import type { UserPublic } from "../../api/types";
import { useApi, useMe } from "../../auth/AuthContext";
import { useFocusOnMount } from "../../lib/hooks/useFocusOnMount";
import { useRefreshPeople } from "../../lib/hooks/useUsers";
import { FormErrors } from "../forms/Field";

interface Props {
  user: UserPublic;
  onRemoved: () => void;
  onCancel: () => void;
}

export function RemovePerson({ user, onRemoved, onCancel }: Props) {
  const api = useApi();
  const me = useMe();
  const refreshPeople = useRefreshPeople();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/users/${user.id}`),
    onSuccess: async () => {
      await refreshPeople();
      onRemoved();
    },
  });
  const label = user.name || user.email;
  const everyCompany = me.role === "msp_admin";
  const action = everyCompany ? `Deactivate ${label}` : `Remove ${label}`;

  return (
    <section role="alertdialog" aria-labelledby="remove-person" aria-describedby="remove-person-what" className="card space-y-3 border-red-300">
      <h3 ref={heading} tabIndex={-1} id="remove-person" className="text-base font-semibold">
        {action}?
      </h3>
      <p id="remove-person-what" className="text-sm text-slate-700">
        {everyCompany
          ? "They can no longer sign in or be assigned. Their incidents and the audit trail keep their name; Edit can enable them again."
          : "They leave your companies; someone left in no company is also disabled and can no longer sign in. Their incidents and the audit trail keep their name."}
      </p>
      {remove.isError && <FormErrors errors={[remove.error.message]} />}
      <div className="flex gap-2">
        <button type="button" className="btn-danger" disabled={remove.isPending} onClick={() => remove.mutate()}>
          {remove.isPending ? "Removing…" : `Yes, ${action.charAt(0).toLowerCase()}${action.slice(1)}`}
        </button>
        <button type="button" className="btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
