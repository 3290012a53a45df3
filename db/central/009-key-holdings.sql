-- 009-key-holdings.sql - rotation of the master key across stations
-- (docs/keys.md, "Rotation across stations").
--
-- Head office stages a new version of the token family in kv.key_versions
-- (state 'next'); the key custodian sends each station its keyload file.
-- Every station reports the versions its key backend holds at each sync
-- (kv_api.key_holdings).  A staged version becomes 'current' (the version
-- new meters and key-change cards get) only once every ACTIVE station holds
-- it; the version it replaces becomes 'retired': no longer given to new
-- meters, still used for the meters keyed with it.  Versions only, never
-- keys: there is no column that could hold a key.
SET LOCAL ROLE kv_central_owner;

CREATE TABLE kv.key_holdings (
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    key_version integer NOT NULL CHECK (key_version BETWEEN 1 AND 254),
    backend text NOT NULL CHECK (backend IN ('file', 'pkcs11')),
    reported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_no, key_version)
);
-- As every table with a station's number (003): a station's session, even
-- through kv_api, reaches only its own rows.
ALTER TABLE kv.key_holdings ENABLE ROW LEVEL SECURITY;
ALTER TABLE kv.key_holdings FORCE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON kv.key_holdings USING
    (station_no = (SELECT kv.caller_station())
     OR (SELECT pg_catalog.pg_has_role(session_user, 'kv_central_admin', 'MEMBER')));

-- The token family's versions and which of them every active station
-- holds (a version no station reported is held by none).
CREATE VIEW kv.key_versions_held AS
    SELECT v.version, v.state,
           NOT EXISTS (SELECT 1 FROM kv.stations s WHERE s.active AND NOT EXISTS (
               SELECT 1 FROM kv.key_holdings h WHERE h.station_no = s.station_no
                                                AND h.key_version = v.version)) AS held_by_all,
           (SELECT count(*) FROM kv.key_holdings h JOIN kv.stations s USING (station_no)
             WHERE s.active AND h.key_version = v.version) AS stations_holding,
           (SELECT count(*) FROM kv.stations s WHERE s.active) AS stations_active
      FROM kv.key_versions v WHERE v.family = 'token';

-- The newest staged version every active station holds becomes current;
-- the current one before it retires.  Returns head office's report: the
-- token family's versions, the current one, those every active station
-- holds, and every active station's holdings.  Owned by kv_central_merger
-- (below): a station's session sees only its own row of kv.stations, and
-- the rollout must count them all.
CREATE FUNCTION kv.key_rollout() RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v integer;
    cur integer;
BEGIN
    -- One rollout at a time (two stations reporting together).
    PERFORM 1 FROM kv.key_versions WHERE family = 'token' FOR UPDATE;
    SELECT version INTO cur FROM kv.key_versions WHERE family = 'token' AND state = 'current';
    SELECT h.version INTO v FROM kv.key_versions_held h
     WHERE h.state = 'next' AND h.held_by_all AND h.version > coalesce(cur, 0)
     ORDER BY h.version DESC LIMIT 1;
    IF v IS NOT NULL THEN
        UPDATE kv.key_versions SET state = 'retired' WHERE family = 'token' AND state = 'current';
        UPDATE kv.key_versions SET state = 'current' WHERE family = 'token' AND version = v;
        cur := v;
    END IF;
    RETURN jsonb_build_object(
        'current', cur,
        'versions', (SELECT coalesce(jsonb_agg(jsonb_build_object('version', h.version, 'state', h.state,
                                                                  'held_by_all', h.held_by_all)
                                               ORDER BY h.version), '[]') FROM kv.key_versions_held h),
        'held_by_all', (SELECT coalesce(jsonb_agg(h.version ORDER BY h.version), '[]')
                          FROM kv.key_versions_held h WHERE h.held_by_all),
        'stations', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                         'station', s.station_no, 'name', s.name,
                         'backend', (SELECT min(h.backend) FROM kv.key_holdings h WHERE h.station_no = s.station_no),
                         'versions', (SELECT coalesce(jsonb_agg(h.key_version ORDER BY h.key_version), '[]')
                                        FROM kv.key_holdings h WHERE h.station_no = s.station_no),
                         'reported_at', (SELECT extract(epoch FROM max(h.reported_at))::bigint
                                           FROM kv.key_holdings h WHERE h.station_no = s.station_no))
                         ORDER BY s.station_no), '[]')
                       FROM kv.stations s WHERE s.active));
END
$$;

-- A station's report of the versions its key backend holds:
-- {"backend": "file"|"pkcs11", "versions": [1, 2]}.  Replaces its earlier
-- report, rolls out what every active station now holds, and replies with
-- kv.key_rollout's report and the station's number (docs/multi-office.md,
-- "Key versions").
CREATE FUNCTION kv_api.key_holdings(report jsonb) RETURNS jsonb
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp LANGUAGE plpgsql AS $$
DECLARE
    backend text := report ->> 'backend';
    me integer := kv.caller_station();
BEGIN
    IF me IS NULL OR NOT EXISTS (SELECT 1 FROM kv.stations WHERE station_no = me AND active) THEN
        RAISE EXCEPTION 'kv_api.key_holdings: % is not an active station', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF jsonb_typeof(report) IS DISTINCT FROM 'object' OR backend IS NULL OR backend NOT IN ('file', 'pkcs11')
       OR jsonb_typeof(report -> 'versions') IS DISTINCT FROM 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(report -> 'versions') x
                   WHERE jsonb_typeof(x) <> 'number' OR x::text !~ '^[0-9]{1,3}$'
                      OR x::text::integer NOT BETWEEN 1 AND 254) THEN
        RAISE EXCEPTION 'kv_api.key_holdings: the report must be {"backend": "file"|"pkcs11", "versions": [1..254, ...]}'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM kv.key_holdings WHERE station_no = me;
    INSERT INTO kv.key_holdings(station_no, key_version, backend)
        SELECT DISTINCT me, x::text::integer, backend FROM jsonb_array_elements(report -> 'versions') x;
    RETURN jsonb_build_object('station', me) || kv.key_rollout();
END
$$;
RESET ROLE;
GRANT SELECT ON kv.stations, kv.key_holdings TO kv_central_merger;
GRANT SELECT, UPDATE ON kv.key_versions TO kv_central_merger;
ALTER VIEW kv.key_versions_held OWNER TO kv_central_merger;
ALTER FUNCTION kv.key_rollout() OWNER TO kv_central_merger;
REVOKE ALL ON FUNCTION kv_api.key_holdings(jsonb), kv.key_rollout() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv.key_rollout() TO kv_central_owner;
GRANT EXECUTE ON FUNCTION kv_api.key_holdings(jsonb) TO kv_station;
GRANT SELECT ON kv.key_holdings, kv.key_versions_held TO kv_central_admin;
