// "Add a person": POST /api/users with a first password the admin sets and hands on.
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Company } from "../../api/pageTypes";
import type { UserCreate, UserPublic } from "../../api/types";
import { useApi, useMe } from "../../auth/AuthContext";
import { NO_ERRORS } from "../../lib/fieldErrors";
import { useFocusOnMount } from "../../lib/hooks/useFocusOnMount";
import { useRefreshPeople } from "../../lib/hooks/useUsers";
import { assignableRoles, createBody, newPersonDraft, personErrorsOf, type PersonDraft } from "../../lib/peopleForm";
import { FormErrors, SubmitOrCancel } from "../forms/Field";
import { PersonFields } from "./PersonFields";

interface Props {
  companyId: string;
  companies: Company[];
  onAdded: (user: UserPublic, password: string) => void;
  onCancel: () => void;
}

export function AddPersonForm({ companyId, companies, onAdded, onCancel }: Props) {
  const api = useApi();
  const me = useMe();
  const refreshPeople = useRefreshPeople();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [draft, setDraft] = useState<PersonDraft>(() => newPersonDraft(me.role, companyId));
  const add = useMutation({
    mutationFn: (body: UserCreate) => api.post<UserPublic>("/api/users", body),
    onSuccess: (user, body) => {
      void refreshPeople();
      onAdded(user, body.password);
    },
  });
  const errors = add.isError ? personErrorsOf(add.error) : NO_ERRORS;

  function submit(event: FormEvent) {
    event.preventDefault();
    add.mutate(createBody(draft));
  }

  return (
    <form noValidate aria-label="Add a person" className="card space-y-3" onSubmit={submit}>
      <h3 ref={heading} tabIndex={-1} className="text-base font-semibold">Add a person</h3>
      <PersonFields
        draft={draft}
        onChange={(change) => setDraft((d) => ({ ...d, ...change }))}
        errors={errors}
        roles={assignableRoles(me.role)}
        companies={companies}
        mode="add"
      />
      <FormErrors errors={errors.form} />
      <SubmitOrCancel label="Add person" busyLabel="Adding…" busy={add.isPending} onCancel={onCancel} />
    </form>
  );
}
