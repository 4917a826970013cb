-- Runs once, when the postgres container initialises an empty data volume
-- (mounted into /docker-entrypoint-initdb.d by docker-compose.yml).
-- One database per service (DATABASE_URL=...tienphong_{service}) plus the shared access database,
-- all owned by the application user created from POSTGRES_USER.
CREATE DATABASE tienphong_registration OWNER tienphong;
CREATE DATABASE tienphong_support OWNER tienphong;
CREATE DATABASE tienphong_reporting OWNER tienphong;
CREATE DATABASE tienphong_access OWNER tienphong;
