import { NotAvailable, PageHeader } from "../components/states";

export function IncidentPage() {
  return (
    <>
      <PageHeader title="Incident" />
      <NotAvailable title="Incident" />
    </>
  );
}
