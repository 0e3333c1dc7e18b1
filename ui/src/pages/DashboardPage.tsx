import { AlertStream } from "../components/AlertStream";
import { IncidentFeed } from "../components/IncidentFeed";
import { KpiSection } from "../components/KpiSection";
import { PageHeader } from "../components/states";

export function DashboardPage() {
  return (
    <>
      <PageHeader title="Dashboard" />
      <div className="space-y-6">
        <KpiSection />
        <div className="grid grid-cols-1 gap-6 xl:grid-cols-2">
          <section aria-labelledby="feed-title" className="card">
            <h2 id="feed-title" className="mb-2 text-lg font-semibold">
              Live incidents
            </h2>
            <IncidentFeed />
          </section>
          <section aria-labelledby="alerts-title" className="card">
            <h2 id="alerts-title" className="mb-2 text-lg font-semibold">
              Alert stream
            </h2>
            <AlertStream />
          </section>
        </div>
      </div>
    </>
  );
}
