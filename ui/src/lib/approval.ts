// Who may approve a runbook run: the API's approval matrix (workflows/remediation/approval.py), as the
// UI needs it to decide whether to offer the buttons and the toast. The API refuses anyone else anyway.
const MAY_APPROVE: Record<string, string[]> = {
  technician: ["technician"],
  company_admin: ["technician", "company_admin"],
  msp_admin: ["technician", "company_admin", "msp_admin"],
};

export function mayApprove(role: string, requiredRole: string | null | undefined): boolean {
  return (MAY_APPROVE[role] ?? []).includes(requiredRole ?? "technician");
}
