// Names for user ids from the directory (GET /api/users/directory): the name when there is one, else the
// id. Ids that are not people ("system", a runbook's schedule) stay as they are.
export interface DirectoryEntry {
  id: string;
  name: string;
  role: string;
}

export function nameOf(entries: readonly DirectoryEntry[] | undefined, id: string): string {
  const name = entries?.find((e) => e.id === id)?.name.trim();
  return name || id;
}
