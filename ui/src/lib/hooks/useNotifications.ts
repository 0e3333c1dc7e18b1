// The signed-in user's in-app notifications (GET /api/notifications): the unread count for the layout, the
// inbox for its page, and marking read. A new notification is a live event of type "notification" for the
// incident's company; it does not say whom it is for, so both refetch on any, and the API answers with
// the user's own only.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Notification, NotificationList, ReadAll } from "../../api/types";
import { useApi, useAuth } from "../../auth/AuthContext";
import { useLiveRefresh } from "../../live/useLiveRefresh";
import type { LiveEvent } from "../../live/socket";

const ALL = ["notifications"] as const;
const UNREAD = ["notifications", "unread-count"] as const;
const INBOX = ["notifications", "inbox"] as const;
/** The inbox page shows this many, newest first (the API allows up to 200). */
export const INBOX_SIZE = 100;

const isNotification = (event: LiveEvent) => event.type === "notification";

/** The unread count, kept current by live events; undefined until known (or for a role without an inbox). */
export function useUnreadCount(): number | undefined {
  const api = useApi();
  const { can } = useAuth();
  const count = useQuery({
    queryKey: UNREAD,
    queryFn: () => api.get<NotificationList>("/api/notifications", { unread: true, limit: 1 }),
    select: (list) => list.unread_count,
    enabled: can("self:manage"),
  });
  useLiveRefresh([UNREAD], isNotification);
  return count.data;
}

export function useInbox() {
  const api = useApi();
  const inbox = useQuery({
    queryKey: INBOX,
    queryFn: () => api.get<NotificationList>("/api/notifications", { limit: INBOX_SIZE }),
  });
  useLiveRefresh([INBOX], isNotification);
  return inbox;
}

/** Marks one notification read, or all of them (`id` null); the count and the list follow. */
export function useMarkRead() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string | null): Promise<ReadAll | Notification> =>
      id === null
        ? api.post<ReadAll>("/api/notifications/read-all")
        : api.post<Notification>(`/api/notifications/${encodeURIComponent(id)}/read`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ALL }),
  });
}
