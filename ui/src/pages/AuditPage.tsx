import { NotAvailable, PageHeader } from "../components/states";

export function AuditPage() {
  return (
    <>
      <PageHeader title="Audit log" />
      <NotAvailable title="Audit log" />
    </>
  );
}
