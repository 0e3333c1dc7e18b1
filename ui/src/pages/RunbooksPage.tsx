import { NotAvailable, PageHeader } from "../components/states";

export function RunbooksPage() {
  return (
    <>
      <PageHeader title="Runbooks" />
      <NotAvailable title="Runbooks" />
    </>
  );
}
