// How the unread count reads: on the badge, to screen readers in the navigation, and as the polite
// announcement a screen reader hears when new notifications arrive.

/** The badge's text: nothing at 0 (no badge), the number up to 99, then "99+". */
export function unreadBadge(count: number | undefined): string {
  if (!count || count <= 0) return "";
  return count > 99 ? "99+" : String(count);
}

/** Words for screen readers beside the "Notifications" link or the phone's menu button. */
export function unreadLabel(count: number | undefined): string {
  if (count === undefined) return "";
  if (count <= 0) return "no unread notifications";
  return count === 1 ? "1 unread notification" : `${count} unread notifications`;
}

/** What to announce when the count goes from `before` to `after`: only news, i.e. a rise after the first
 * count is known. Loading, re-renders and the user's own marking read say nothing. */
export function unreadAnnouncement(before: number | undefined, after: number | undefined): string | null {
  if (before === undefined || after === undefined || after <= before) return null;
  const arrived = after - before;
  const news = arrived === 1 ? "1 new notification" : `${arrived} new notifications`;
  return `${news}; ${unreadLabel(after)}`;
}
