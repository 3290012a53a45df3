-- 014-recover-swaps.sql - a station's recovery (`kilovendctl sync recover`,
-- docs/multi-office.md, "Recovery") takes back its meter swaps and refund
-- tokens of unloaded credit (012) like its other records: kv_api.recover
-- returns them as "transfers" and "refund_tokens" ([{"id": local_id,
-- "content": ...}], the station's own rows only, row-level security
-- forced); nothing is written.
SET LOCAL ROLE kv_central_owner;
ALTER FUNCTION kv_api.recover() RENAME TO recover_before_swaps;
ALTER FUNCTION kv_api.recover_before_swaps() SET SCHEMA kv;

CREATE FUNCTION kv_api.recover() RETURNS jsonb LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT kv.recover_before_swaps() || jsonb_build_object('transfers', kv.records_of('transfers', me),
                                                          'refund_tokens', kv.records_of('refund_tokens', me))
    FROM (SELECT kv.caller_station() AS me) c
$$;
RESET ROLE;
REVOKE ALL ON FUNCTION kv_api.recover(), kv.recover_before_swaps() FROM PUBLIC;
REVOKE ALL ON FUNCTION kv.recover_before_swaps() FROM kv_station;
GRANT EXECUTE ON FUNCTION kv_api.recover() TO kv_station;

-- A meter swap is reserved at head office first (kv_sync_require_swap_reservation,
-- as a card replacement is by kv_api.reserve_replacement): refused when a
-- transfer of any station already took these meters (kv.transfer_clash) or
-- another station holds a reservation of either; else both meters reserved
-- for the caller (kv.card_reservations, an hour), so that another office
-- online cannot swap them or replace their cards meanwhile.  The caller's
-- own transfer of the same meters again is 'ok' (a swap made again).
SET LOCAL ROLE kv_central_owner;
CREATE FUNCTION kv_api.reserve_swap(old_meter integer, new_meter integer) RETURNS jsonb LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me integer := kv.caller_station();
    why text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM kv.stations s WHERE s.station_no = me AND s.active AND s.sync_state = 'ok') THEN
        RAISE EXCEPTION 'kv_api.reserve_swap: % is not an active station whose sync goes on', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_advisory_xact_lock(4711, least(old_meter, new_meter));
    PERFORM pg_advisory_xact_lock(4711, greatest(old_meter, new_meter));
    IF EXISTS (SELECT 1 FROM kv.transfers t WHERE t.station_no = me AND t.from_meter = old_meter
                  AND t.to_meter = new_meter) THEN
        RETURN jsonb_build_object('status', 'ok');
    END IF;
    why := kv.transfer_clash(old_meter, new_meter);
    IF why IS NULL THEN
        SELECT format('station %s holds a reservation of meter %s at head office until %s', r.station_no,
                      r.meter_number, to_char(r.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'))
            INTO why FROM kv.card_reservations r
            WHERE r.meter_number IN (old_meter, new_meter) AND r.expires_at > now() AND r.station_no <> me
            ORDER BY r.id DESC LIMIT 1;
    END IF;
    IF why IS NOT NULL THEN
        RETURN jsonb_build_object('status', 'refused', 'message', why);
    END IF;
    INSERT INTO kv.card_reservations(meter_number, station_no, expires_at)
    VALUES (old_meter, me, now() + interval '1 hour'), (new_meter, me, now() + interval '1 hour');
    RETURN jsonb_build_object('status', 'ok');
END
$$;
RESET ROLE;
REVOKE ALL ON FUNCTION kv_api.reserve_swap(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv_api.reserve_swap(integer, integer) TO kv_station;
