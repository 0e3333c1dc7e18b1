// Types of the API, generated from its OpenAPI schema (`make ui` writes schema.gen.ts): a renamed
// field breaks `tsc`, not the page.
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

export type TokenPair = Schemas["TokenPair"];
export type Me = Schemas["Me"];
export type Incident = Schemas["IncidentPublic"];
export type IncidentDetail = Schemas["IncidentDetail"];
export type IncidentPage = Schemas["IncidentPage"];
export type Alert = Schemas["AlertPublic"];
export type SlaView = Schemas["SlaView"];
export type Notification = Schemas["NotificationPublic"];
export type NotificationList = Schemas["NotificationList"];
export type NotificationDelivery = Schemas["DeliveryPublic"];
export type ReadAll = Schemas["ReadAll"];
export type NotificationPreferences = Schemas["NotificationPreferences"];
export type QuietHours = Schemas["QuietHours"];
export type Channel = Schemas["Channel"];

export type Role = Schemas["Role"];

// People managed from the Technicians page (api/routes/users.py).
export type UserPublic = Schemas["api__routes__users__UserPublic"];
export type UserCreate = Schemas["UserCreate"];
export type UserUpdate = Schemas["UserUpdate"];
