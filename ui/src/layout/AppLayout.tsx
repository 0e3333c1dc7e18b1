import { useState } from "react";
import { NavLink, Outlet } from "react-router";
import { useAuth, useMe } from "../auth/AuthContext";
import { NotificationsNavLink, UnreadAnnouncer, UnreadBadge } from "../components/notifications/UnreadCount";
import { useUnreadCount } from "../lib/hooks/useNotifications";
import { useLiveStatus } from "../live/LiveContext";
import { useLiveToasts } from "../live/useLiveToasts";
import { ROUTES } from "../routes";

const LIVE_LABEL = {
  connecting: "Connecting…",
  "catching-up": "Catching up…",
  live: "Live",
  reconnecting: "Reconnecting…",
  stopped: "Offline",
} as const;

export function AppLayout() {
  const { can, logout } = useAuth();
  const me = useMe();
  const live = useLiveStatus();
  useLiveToasts(me);
  const [menuOpen, setMenuOpen] = useState(false);
  const unread = useUnreadCount();
  const items = ROUTES.filter((route) => route.nav && can(route.permission));

  return (
    <div className="min-h-screen md:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-slate-900 text-white md:min-h-screen md:w-60 md:shrink-0 md:border-r md:border-b-0">
        <div className="flex items-center justify-between p-4">
          <span className="text-lg font-semibold">Alert Whisperer</span>
          <button
            type="button"
            className="rounded-md border border-slate-600 px-2 py-1 text-sm md:hidden"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((open) => !open)}
          >
            Menu
            <UnreadBadge count={unread} />
          </button>
        </div>
        <UnreadAnnouncer count={unread} />
        <nav id="main-nav" aria-label="Main" className={`${menuOpen ? "block" : "hidden"} px-2 pb-4 md:block`}>
          <ul className="space-y-1">
            {items.map((route) => (
              <li key={route.path}>
                <NavLink
                  to={route.navTo!}
                  end={route.navTo === "/"}
                  onClick={() => setMenuOpen(false)}
                  className={({ isActive }) =>
                    `block rounded-md px-3 py-2 text-sm ${isActive ? "bg-slate-700 font-medium" : "text-slate-200 hover:bg-slate-800"}`
                  }
                >
                  {route.nav}
                </NavLink>
              </li>
            ))}
            {can("self:manage") && (
              <li>
                <NotificationsNavLink count={unread} onNavigate={() => setMenuOpen(false)} />
              </li>
            )}
          </ul>
          <div className="mt-6 border-t border-slate-700 px-3 pt-4 text-sm">
            <p className="font-medium" data-testid="signed-in-as">
              {me.name || me.email}
            </p>
            <p className="text-slate-300">{me.role.replace("_", " ")}</p>
            <p className="mt-2 flex items-center gap-2 text-slate-300" data-testid="live-status">
              <span
                aria-hidden="true"
                className={`inline-block h-2 w-2 rounded-full ${live === "live" ? "bg-emerald-400" : "bg-amber-400"}`}
              />
              {LIVE_LABEL[live]}
            </p>
            <button type="button" className="mt-3 rounded-md border border-slate-600 px-3 py-1" onClick={() => void logout()}>
              Sign out
            </button>
          </div>
        </nav>
      </header>
      <main id="main" className="min-w-0 flex-1 p-4 md:p-6">
        <Outlet />
      </main>
    </div>
  );
}
