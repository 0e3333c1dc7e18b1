-- Temporal's persistence and visibility stores, beside the app's own database (POSTGRES_DB), owned by
-- the same role. The postgres image runs this only when it initialises an empty data volume; on an
-- existing volume create them by hand with these two statements.
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
