-- 001-roles.sql - roles and schemas of the head office database.
--
-- Run by a superuser (tools/central-setup.sh).  Roles are cluster-wide, so
-- they are created only when missing; everything else belongs to this
-- database.
--
--   kv_central_owner  owns every table and function (NOLOGIN).  The push and
--                     pull functions run as this role (SECURITY DEFINER); the
--                     tables FORCE row-level security, so even this role sees
--                     only the calling station's rows.
--   kv_station        group of the station roles (kv_station_NNNNN, one per
--                     station, logging in with its client certificate only):
--                     may connect and EXECUTE kv_api.push and kv_api.pull,
--                     nothing else.
--   kv_central_admin  head-office staff and reports: read every row.
--   kv_central_merger owns the two functions that merge every station's
--                     records into the per-meter and per-card state
--                     (BYPASSRLS: they must see all stations' rows); it
--                     cannot log in and only kv_central_owner may call them.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kv_central_owner') THEN
        CREATE ROLE kv_central_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kv_station') THEN
        CREATE ROLE kv_station NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kv_central_admin') THEN
        CREATE ROLE kv_central_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kv_central_merger') THEN
        CREATE ROLE kv_central_merger NOLOGIN BYPASSRLS;
    END IF;
    -- Nobody but the roles above reaches this database; no temporary tables
    -- for anyone (TEMP is a PUBLIC default).
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO kv_station, kv_central_admin',
                   current_database());
    EXECUTE format('GRANT CREATE ON DATABASE %I TO kv_central_owner', current_database());
END
$$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- kv: tables and internal functions (stations have no USAGE).
-- kv_api: the two functions a station may call.
CREATE SCHEMA kv AUTHORIZATION kv_central_owner;
CREATE SCHEMA kv_api AUTHORIZATION kv_central_owner;
REVOKE ALL ON SCHEMA kv, kv_api FROM PUBLIC;
GRANT USAGE ON SCHEMA kv_api TO kv_station;
GRANT USAGE ON SCHEMA kv TO kv_central_admin, kv_central_merger;

-- Functions are EXECUTE-able by PUBLIC by default: not here.
ALTER DEFAULT PRIVILEGES FOR ROLE kv_central_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE kv_central_merger REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE kv_central_owner IN SCHEMA kv
    GRANT SELECT ON TABLES TO kv_central_admin;
