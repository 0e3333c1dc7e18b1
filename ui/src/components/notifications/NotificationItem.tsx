// One notification in the inbox: what happened, how severe, when, the incident it is about, whether it is
// read, and how each channel fared (a failed email or Slack post is visible to the person it was for).
import { Link } from "react-router";
import type { Notification, NotificationDelivery } from "../../api/types";
import { useUserName } from "../../lib/hooks/useDirectory";
import { formatTime } from "../../lib/time";
import { namesIn } from "../../lib/userNames";
import { SeverityBadge } from "../badges";

const CHANNEL_NAME: Record<string, string> = { in_app: "In app", email: "Email", slack: "Slack" };

function deliveryText(delivery: NotificationDelivery): string {
  const channel = CHANNEL_NAME[delivery.channel] ?? delivery.channel;
  const why = delivery.status !== "sent" && delivery.last_error ? ` (${delivery.last_error})` : "";
  return `${channel}: ${delivery.status}${why}`;
}

export function NotificationItem({
  notification,
  onMarkRead,
  marking,
}: {
  notification: Notification;
  onMarkRead: () => void;
  marking: boolean;
}) {
  const name = useUserName();
  const unread = notification.read_at === null;
  return (
    <li
      data-testid="notification"
      data-read={unread ? "false" : "true"}
      className={`flex flex-wrap items-start justify-between gap-3 border-l-4 py-3 pr-1 pl-3 ${unread ? "border-indigo-600 bg-indigo-50" : "border-transparent"}`}
    >
      <div className="min-w-0 flex-1 space-y-1">
        <p className="flex flex-wrap items-center gap-2">
          <SeverityBadge severity={notification.severity} />
          <span className={`text-xs font-semibold ${unread ? "text-indigo-900" : "text-slate-600"}`}>
            {unread ? "Unread" : "Read"}
          </span>
          <time dateTime={notification.created_at} className="text-xs text-slate-600">
            {formatTime(notification.created_at)}
          </time>
        </p>
        <h2 className={`break-words ${unread ? "font-semibold" : "font-medium"}`}>
          {notification.title}
        </h2>
        {notification.body && <p className="text-sm break-words whitespace-pre-line text-slate-700">{namesIn(notification.body, name)}</p>}
        <p className="text-sm">
          <Link className="text-indigo-800 underline" to={`/incidents/${encodeURIComponent(notification.incident_id)}`}>
            Open the incident<span className="sr-only">: {notification.title}</span>
          </Link>
        </p>
        {notification.deliveries.length > 0 && (
          <p className="text-xs text-slate-600" data-testid="deliveries">
            {notification.deliveries.map(deliveryText).join(" · ")}
          </p>
        )}
      </div>
      {unread && (
        <button type="button" className="btn-secondary shrink-0" disabled={marking} onClick={onMarkRead}>
          Mark read<span className="sr-only">: {notification.title}</span>
        </button>
      )}
    </li>
  );
}
