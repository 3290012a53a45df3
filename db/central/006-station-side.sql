-- 006-station-side.sql - what the station side needs of the head office
-- (docs/multi-office.md, "The station side").
--
-- Station numbers are 1..4094: a station's number is in its card serials
-- (station << 20 | n, 32 bits, 0xFFFFFFFF reserved), in its tokens' office
-- field and can be its token issuer (1..32767): the serials are the
-- narrowest.  A number above 4094 could not issue a card: kv.register_station
-- (and tools/central-setup.sh, with a clearer message) now fail on it.
SET LOCAL ROLE kv_central_owner;

ALTER TABLE kv.stations DROP CONSTRAINT stations_station_no_check;
ALTER TABLE kv.stations ADD CONSTRAINT stations_station_no_check CHECK (station_no BETWEEN 1 AND 4094);

-- A station's sales also end 'issued' (the token may be on the card; not
-- sold until proven) and 'void' (never paid: its credit can no longer
-- load), docs/station.md "Issued sales".  Neither counts as sold.
ALTER TABLE kv.sale_states DROP CONSTRAINT sale_states_state_check;
ALTER TABLE kv.sale_states ADD CONSTRAINT sale_states_state_check
    CHECK (state IN ('pending', 'written', 'completed', 'failed', 'cancelling', 'cancelled', 'issued', 'void'));

RESET ROLE;

-- A station restored from a backup, or whose ledger forked from the
-- centre's copy, takes its own records back (`kilovendctl sync recover`):
-- every record it pushed, as pushed.  Row-level security (forced) keeps it
-- to its own rows; nothing is written.
SET LOCAL ROLE kv_central_owner;
CREATE FUNCTION kv_api.recover() RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me integer := kv.caller_station();
BEGIN
    IF me IS NULL THEN
        RAISE EXCEPTION 'kv_api.recover: % is not a station', session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM kv.stations WHERE station_no = me AND active) THEN
        RAISE EXCEPTION 'kv_api.recover: station % is not registered or not active', me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN jsonb_build_object(
        'station', me,
        'audit', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', local_id, 'content', content) ORDER BY local_id), '[]')
                  FROM kv.audit WHERE station_no = me),
        'sales', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', local_id, 'content', content) ORDER BY local_id), '[]')
                  FROM kv.sales WHERE station_no = me),
        'sale_states', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', local_id, 'content', content) ORDER BY local_id), '[]')
                        FROM kv.sale_states WHERE station_no = me),
        'cards', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', local_id, 'content', content) ORDER BY local_id), '[]')
                  FROM kv.cards WHERE station_no = me),
        'card_statuses', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', local_id, 'content', content) ORDER BY local_id), '[]')
                          FROM kv.card_statuses WHERE station_no = me),
        'readbacks', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', local_id, 'content', content) ORDER BY local_id), '[]')
                      FROM kv.readbacks WHERE station_no = me),
        'engineering_tokens', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', local_id, 'content', content) ORDER BY local_id), '[]')
                               FROM kv.engineering_tokens WHERE station_no = me),
        'shifts', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', local_id, 'content', content) ORDER BY local_id), '[]')
                   FROM kv.shifts WHERE station_no = me));
END
$$;
RESET ROLE;
REVOKE ALL ON FUNCTION kv_api.recover() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv_api.recover() TO kv_station;
