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
