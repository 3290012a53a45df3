-- 016-swap-reservations.sql - a meter swap's reservation at head office
-- (014, kv_api.reserve_swap: both meters for an hour) ends as soon as it
-- is no longer needed (docs/multi-office.md, "Meter swaps and refund
-- tokens"), so that another office may act on the meters at once:
--   the swap's transfer record arrives   kv.release_reservations, which
--                                         kv_api.push calls after every
--                                         batch applied (008), now ends the
--                                         pushing station's reservations of
--                                         both meters of each transfer too;
--   the station gives the swap up         kv_api.release_swap(old, new): a
--                                         later step refused it (the new
--                                         meter not fresh, no readback...).
-- A station ends only its own reservations (station_no = the caller's);
-- rows are kept (expires_at set to now), as for card replacements.
SET LOCAL ROLE kv_central_owner;

CREATE OR REPLACE FUNCTION kv.release_reservations(batch jsonb) RETURNS void LANGUAGE sql
    SET search_path = pg_catalog, pg_temp AS $$
    UPDATE kv.card_reservations SET expires_at = now()
    WHERE station_no = kv.caller_station() AND expires_at > now()
      AND meter_number IN (SELECT (r -> 'content' ->> 'meter')::integer FROM jsonb_array_elements(batch) r
                           WHERE r ->> 'kind' = 'card' AND jsonb_typeof(r -> 'content' -> 'replaces') = 'number'
                           UNION ALL
                           SELECT (r -> 'content' ->> m)::integer FROM jsonb_array_elements(batch) r,
                                  unnest(ARRAY['from_meter', 'to_meter']) m
                           WHERE r ->> 'kind' = 'transfer' AND jsonb_typeof(r -> 'content' -> m) = 'number')
$$;

CREATE FUNCTION kv_api.release_swap(old_meter integer, new_meter integer) RETURNS jsonb LANGUAGE sql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH gone AS (
        UPDATE kv.card_reservations SET expires_at = now()
        WHERE station_no = kv.caller_station() AND expires_at > now() AND meter_number IN (old_meter, new_meter)
        RETURNING 1)
    SELECT jsonb_build_object('status', 'ok', 'released', (SELECT count(*) FROM gone))
$$;
RESET ROLE;
REVOKE ALL ON FUNCTION kv_api.release_swap(integer, integer), kv.release_reservations(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv_api.release_swap(integer, integer) TO kv_station;
