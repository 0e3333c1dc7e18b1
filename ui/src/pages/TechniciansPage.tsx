import { NotAvailable, PageHeader } from "../components/states";

export function TechniciansPage() {
  return (
    <>
      <PageHeader title="Technicians and on-call" />
      <NotAvailable title="Technicians and on-call" />
    </>
  );
}
