// Types of the settings pages (runbooks, technicians, companies, profile, audit), from the generated
// OpenAPI schema; kept apart from types.ts so the two sets of pages merge without touching each other.
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

export type Runbook = Schemas["RunbookPublic"];
export type RunbookCreate = Schemas["RunbookCreate"];
export type RunbookSpec = Schemas["RunbookSpec"];
export type RemediationFigures = Schemas["RemediationFigures"];
export type Company = Schemas["CompanyPublic"];
export type CompanyCreate = Schemas["CompanyCreate"];
export type CompanyCreated = Schemas["CompanyCreated"];
export type CompanyUpdate = Schemas["CompanyUpdate"];
export type Asset = Schemas["Asset"];
export type MonitoringIntegration = Schemas["MonitoringIntegration"];
export type CompanyPolicy = Schemas["CompanyPolicy"];
export type ApiKey = Schemas["ApiKeyPublic"];
export type ApiKeyIssued = Schemas["ApiKeyIssued"];
export type HmacRotated = Schemas["HmacRotated"];
export type Slack = Schemas["SlackPublic"];
export type AwsAccess = Schemas["AwsAccessPublic"];
export type AwsAccessUpdate = Schemas["AwsAccessUpdate"];
export type MaintenanceWindow = Schemas["MaintenanceWindowPublic"];
export type MaintenanceWindowCreate = Schemas["MaintenanceWindowCreate"];
export type Chain = Schemas["ChainPublic"];
export type Schedule = Schemas["SchedulePublic"];
export type ScheduleCreate = Schemas["ScheduleCreate"];
export type CompanyOnCall = Schemas["CompanyOnCallPublic"];
export type User = Schemas["api__routes__users__UserPublic"];
export type AuthSession = Schemas["SessionPublic"];
export type AuditEntry = Schemas["AuditEntryPublic"];
export type AuditPage = Schemas["AuditPage"];
