// GET /api/kpis, in the types generated from the API's OpenAPI schema (core/kpis/shape.py).
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

export type Spread = Schemas["Percentiles"];
export type KpiFigures = Schemas["Figures"];
export type KpiBucket = Schemas["SeriesPoint"];
export type Kpis = Schemas["KpiReport"];
