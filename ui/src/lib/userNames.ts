// Names for user ids from the directory (GET /api/users/directory): the name when there is one, else the
// id. Ids that are not people ("system", a runbook's schedule) stay as they are.
export interface DirectoryEntry {
  id: string;
  name: string;
  role: string;
}

/** `emails` (for roles that list users) names someone who has no name better than their id does. */
export function nameOf(
  entries: readonly DirectoryEntry[] | undefined,
  id: string,
  emails?: readonly { id: string; email: string }[],
): string {
  const name = entries?.find((e) => e.id === id)?.name.trim();
  return name || emails?.find((u) => u.id === id)?.email || id;
}

// User ids as the API makes them (core/db/models.py: new_id("usr")).
const USER_ID = /\busr_[0-9a-f]{16}\b/g;

/** Text written by the server ("assigned by usr_…") with each user id read as that person's name. */
export function namesIn(text: string, name: (id: string) => string): string {
  return text.replace(USER_ID, (id) => name(id));
}
