// The inbox: the signed-in user's in-app notifications, newest first, kept current by live events; marking
// one or all read lowers the count in the navigation.
import { NotificationItem } from "../components/notifications/NotificationItem";
import { FormErrors } from "../components/forms/Field";
import { Empty, ErrorState, Loading, PageHeader } from "../components/states";
import { INBOX_SIZE, useInbox, useMarkRead } from "../lib/hooks/useNotifications";

export function NotificationsPage() {
  const inbox = useInbox();
  const mark = useMarkRead();
  const unread = inbox.data?.unread_count ?? 0;

  return (
    <>
      <PageHeader title="Notifications">
        <button type="button" className="btn-secondary" disabled={unread === 0 || mark.isPending} onClick={() => mark.mutate(null)}>
          Mark all read
        </button>
      </PageHeader>
      {mark.isError && <FormErrors errors={[`Could not mark read: ${mark.error.message}`]} />}
      <section className="card" aria-label="Your notifications">
        {inbox.isPending ? (
          <Loading what="your notifications" />
        ) : inbox.isError ? (
          <ErrorState error={inbox.error} what="your notifications" retry={() => void inbox.refetch()} />
        ) : inbox.data.items.length === 0 ? (
          <Empty title="No notifications yet">
            Assignments, SLA warnings, escalations and approval requests for you appear here as they happen.
          </Empty>
        ) : (
          <>
            <p className="mb-2 text-sm text-slate-600">
              {unread === 0 ? "All read." : `${unread} unread.`}
              {inbox.data.items.length >= INBOX_SIZE && ` The ${INBOX_SIZE} newest are shown.`}
            </p>
            <ul className="divide-y divide-slate-200" data-testid="notification-list">
              {inbox.data.items.map((notification) => (
                <NotificationItem
                  key={notification.id}
                  notification={notification}
                  marking={mark.isPending && mark.variables === notification.id}
                  onMarkRead={() => mark.mutate(notification.id)}
                />
              ))}
            </ul>
          </>
        )}
      </section>
    </>
  );
}
