import { NotAvailable, PageHeader } from "../components/states";

export function IncidentsPage() {
  return (
    <>
      <PageHeader title="Incidents" />
      <NotAvailable title="Incidents" />
    </>
  );
}
