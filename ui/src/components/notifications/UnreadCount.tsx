// The unread count in the layout: a badge on the "Notifications" link (and on the phone's menu button,
// whose menu may be closed), and one polite announcement when new notifications arrive.
import { useEffect, useRef, useState } from "react";
import { NavLink } from "react-router";
import { unreadAnnouncement, unreadBadge, unreadLabel } from "../../lib/unreadCount";

export function UnreadBadge({ count, testId }: { count: number | undefined; testId?: string }) {
  const badge = unreadBadge(count);
  return (
    <>
      {badge && (
        <span
          aria-hidden="true"
          data-testid={testId}
          className="ml-2 inline-block min-w-5 rounded-full bg-amber-300 px-1.5 text-center text-xs font-semibold text-slate-950"
        >
          {badge}
        </span>
      )}
      {count !== undefined && <span className="sr-only"> ({unreadLabel(count)})</span>}
    </>
  );
}

export function NotificationsNavLink({ count, onNavigate }: { count: number | undefined; onNavigate: () => void }) {
  return (
    <NavLink
      to="/notifications"
      onClick={onNavigate}
      data-testid="notifications-link"
      data-unread={count ?? ""}
      className={({ isActive }) =>
        `flex items-center justify-between rounded-md px-3 py-2 text-sm focus-visible:outline-white ${isActive ? "bg-slate-700 font-medium" : "text-slate-200 hover:bg-slate-800"}`
      }
    >
      Notifications
      <UnreadBadge count={count} testId="unread-count" />
    </NavLink>
  );
}

/** A live region that is always in the page (so screen readers watch it) and speaks only on news. */
export function UnreadAnnouncer({ count }: { count: number | undefined }) {
  const before = useRef<number | undefined>(undefined);
  const [message, setMessage] = useState("");
  useEffect(() => {
    const news = unreadAnnouncement(before.current, count);
    if (count !== undefined) before.current = count;
    if (news) setMessage(news);
  }, [count]);
  return (
    <p role="status" aria-live="polite" className="sr-only" data-testid="unread-announcement">
      {message}
    </p>
  );
}
