import { describe, expect, it } from "vitest";
import { unreadAnnouncement, unreadBadge, unreadLabel } from "./unreadCount";

describe("unread count", () => {
  it("shows no badge at zero or before the count is known, and caps it at 99+", () => {
    expect([unreadBadge(undefined), unreadBadge(0), unreadBadge(1), unreadBadge(99), unreadBadge(100)]).toEqual([
      "",
      "",
      "1",
      "99",
      "99+",
    ]);
  });

  it("says the count in words, singular and plural", () => {
    expect([unreadLabel(undefined), unreadLabel(0), unreadLabel(1), unreadLabel(7)]).toEqual([
      "",
      "no unread notifications",
      "1 unread notification",
      "7 unread notifications",
    ]);
  });

  it("announces only a rise after the first count, never the first load or a fall", () => {
    expect(unreadAnnouncement(undefined, 3)).toBeNull();
    expect(unreadAnnouncement(3, 3)).toBeNull();
    expect(unreadAnnouncement(3, 1)).toBeNull();
    expect(unreadAnnouncement(2, undefined)).toBeNull();
    expect(unreadAnnouncement(0, 1)).toBe("1 new notification; 1 unread notification");
    expect(unreadAnnouncement(1, 4)).toBe("3 new notifications; 4 unread notifications");
  });
});
