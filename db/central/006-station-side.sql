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
    t text;
    part jsonb;
    me integer := kv.caller_station();
    res jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM kv.stations WHERE station_no = me AND active) THEN
        RAISE EXCEPTION 'kv_api.recover: % is not an active station', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    res := jsonb_build_object('station', me);
    -- Each table's rows of this station: [{"id": local_id, "content": ...}].
    FOREACH t IN ARRAY ARRAY['audit', 'sales', 'sale_states', 'cards', 'card_statuses', 'readbacks',
                             'engineering_tokens', 'shifts'] LOOP
        EXECUTE format('SELECT coalesce(jsonb_agg(jsonb_build_object(''id'', x.local_id, ''content'', x.content) '
                       'ORDER BY x.local_id), ''[]'') FROM kv.%I x WHERE x.station_no = $1', t)
            INTO part USING me;
        res := res || jsonb_build_object(t, part);
    END LOOP;
    RETURN res;
END
$$;
RESET ROLE;
REVOKE ALL ON FUNCTION kv_api.recover() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv_api.recover() TO kv_station;
