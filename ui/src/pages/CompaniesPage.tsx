import { NotAvailable, PageHeader } from "../components/states";

export function CompaniesPage() {
  return (
    <>
      <PageHeader title="Companies and settings" />
      <NotAvailable title="Companies and settings" />
    </>
  );
}
