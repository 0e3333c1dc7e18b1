import { NotAvailable, PageHeader } from "../components/states";

export function ProfilePage() {
  return (
    <>
      <PageHeader title="Profile" />
      <NotAvailable title="Profile" />
    </>
  );
}
