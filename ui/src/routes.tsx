// Every page of the dashboard, who may open it, and where it sits in the navigation.
import { lazy, type ComponentType } from "react";

// Each page is its own chunk: the dashboard's charts do not slow down the first paint of the others.
const page = <K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) =>
  lazy(() => load().then((module) => ({ default: module[name] })));


const AuditPage = page(() => import("./pages/AuditPage"), "AuditPage");
const CompaniesPage = page(() => import("./pages/CompaniesPage"), "CompaniesPage");
const DashboardPage = page(() => import("./pages/DashboardPage"), "DashboardPage");
const IncidentsPage = page(() => import("./pages/IncidentsPage"), "IncidentsPage");
const IncidentPage = page(() => import("./pages/IncidentPage"), "IncidentPage");
const NotificationsPage = page(() => import("./pages/NotificationsPage"), "NotificationsPage");
const ProfilePage = page(() => import("./pages/ProfilePage"), "ProfilePage");
const RunbooksPage = page(() => import("./pages/RunbooksPage"), "RunbooksPage");
const TechniciansPage = page(() => import("./pages/TechniciansPage"), "TechniciansPage");

export interface PageRoute {
  /** React Router path; a page with pages of its own ends in "/*" and declares them itself. */
  path: string;
  page: ComponentType;
  /** A permission from GET /api/users/me (api/permissions.py); without it the page is not offered. */
  permission: string;
  /** In the main navigation under this label. */
  nav?: string;
  navTo?: string;
}

export const ROUTES: PageRoute[] = [
  { path: "/", page: DashboardPage, permission: "incidents:read", nav: "Dashboard", navTo: "/" },
  { path: "/incidents", page: IncidentsPage, permission: "incidents:read", nav: "Incidents", navTo: "/incidents" },
  { path: "/incidents/:incidentId", page: IncidentPage, permission: "incidents:read" },
  { path: "/runbooks/*", page: RunbooksPage, permission: "runbooks:read", nav: "Runbooks", navTo: "/runbooks" },
  {
    path: "/technicians/*",
    page: TechniciansPage,
    permission: "oncall:read",
    nav: "Technicians",
    navTo: "/technicians",
  },
  {
    path: "/companies/*",
    page: CompaniesPage,
    permission: "companies:read",
    nav: "Companies & settings",
    navTo: "/companies",
  },
  { path: "/audit/*", page: AuditPage, permission: "audit:read", nav: "Audit log", navTo: "/audit" },
  // In the navigation with its unread count: AppLayout draws that link itself.
  { path: "/notifications", page: NotificationsPage, permission: "self:manage" },
  { path: "/profile/*", page: ProfilePage, permission: "self:manage", nav: "Profile", navTo: "/profile" },
];
