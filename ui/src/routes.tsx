// Every page of the dashboard, who may open it, and where it sits in the navigation.
import type { ComponentType } from "react";
import { AuditPage } from "./pages/AuditPage";
import { CompaniesPage } from "./pages/CompaniesPage";
import { DashboardPage } from "./pages/DashboardPage";
import { IncidentsPage } from "./pages/IncidentsPage";
import { IncidentPage } from "./pages/IncidentPage";
import { ProfilePage } from "./pages/ProfilePage";
import { RunbooksPage } from "./pages/RunbooksPage";
import { TechniciansPage } from "./pages/TechniciansPage";

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
  { path: "/profile/*", page: ProfilePage, permission: "self:manage", nav: "Profile", navTo: "/profile" },
];
