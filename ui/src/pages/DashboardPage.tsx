import { NotAvailable, PageHeader } from "../components/states";

export function DashboardPage() {
  return (
    <>
      <PageHeader title="Dashboard" />
      <NotAvailable title="Dashboard" />
    </>
  );
}
