// Edit a person (PUT /api/users/{id}): only the fields changed are sent.
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Company } from "../../api/pageTypes";
import type { UserPublic, UserUpdate } from "../../api/types";
import { useApi, useMe } from "../../auth/AuthContext";
import { NO_ERRORS } from "../../lib/fieldErrors";
import { useFocusOnMount } from "../../lib/hooks/useFocusOnMount";
import { useRefreshPeople } from "../../lib/hooks/useUsers";
import { assignableRoles, personDraftOf, personErrorsOf, updateBody, type PersonDraft } from "../../lib/peopleForm";
import { FormErrors, SubmitOrCancel } from "../forms/Field";
import { PersonFields } from "./PersonFields";

interface Props {
  user: UserPublic;
  companies: Company[];
  onSaved: () => void;
  onCancel: () => void;
}

export function EditPersonForm({ user, companies, onSaved, onCancel }: Props) {
  const api = useApi();
  const me = useMe();
  const refreshPeople = useRefreshPeople();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [draft, setDraft] = useState<PersonDraft>(() => personDraftOf(user));
  const save = useMutation({
    mutationFn: (body: UserUpdate) => api.put<UserPublic>(`/api/users/${user.id}`, body),
    onSuccess: async () => {
      await refreshPeople();
      onSaved();
    },
  });
  const errors = save.isError ? personErrorsOf(save.error) : NO_ERRORS;
  const label = user.name || user.email;

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = updateBody(user, draft);
    if (Object.keys(body).length === 0) onCancel();
    else save.mutate(body);
  }

  return (
    <form noValidate aria-label={`Edit ${label}`} className="card space-y-3" onSubmit={submit}>
      <h3 ref={heading} tabIndex={-1} className="text-base font-semibold">Edit {label}</h3>
      <PersonFields
        draft={draft}
        onChange={(change) => setDraft((d) => ({ ...d, ...change }))}
        errors={errors}
        roles={assignableRoles(me.role)}
        companies={companies}
        mode="edit"
        self={user.id === me.id}
      />
      <FormErrors errors={errors.form} />
      <SubmitOrCancel label="Save person" busyLabel="Saving…" busy={save.isPending} onCancel={onCancel} />
    </form>
  );
}
