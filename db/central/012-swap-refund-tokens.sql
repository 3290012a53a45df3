-- 012-swap-refund-tokens.sql - meter swaps and refunds of unloaded credit
-- across offices (docs/multi-office.md, "Meter swaps and refund tokens";
-- the station's db/013-unloaded-swap.sql).
--
--   refund_token  a refund of credit the meter never loaded is a credit
--                 token of the meter's next sequence carrying a LOWER
--                 cumulative; once settled ('done': the card holds it and
--                 the refund was paid; 'aborted': nothing paid) the station
--                 pushes it.  A done token lowers what the meter may load by
--                 cumulative_before - cumulative; any token's sequence
--                 counts in the meter's highest sequence.
--   transfer      a meter swap: the old meter's credit (left in it, and sold
--                 but never loaded) carried to a fresh meter with no money.
--                 The new meter may load it: it counts in what the new
--                 meter was sold.  Head office retires the old meter
--                 (status 'removed') and gives the new one the old one's
--                 customer and tariff, as the station did: every office
--                 pulls that.  A meter is swapped away once and receives
--                 once across all offices: a second station's transfer of
--                 the same meter is a conflict that stops that station.
--
-- kv.meter_state.sold_energy, the credit every office sold the meter (what
-- the stations pull and compare each readback with, and what the
-- cross-office check kv.loaded_above_sold compares), becomes
--     sales (completed or cancelling) + carried_energy - refunded_energy
-- with the two parts in their own columns.  sold_amount stays the money of
-- the sales (refunds are kv.refunds, reported by kv_report.refunds).
SET LOCAL ROLE kv_central_owner;

CREATE TABLE kv.refund_tokens (
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    local_id bigint NOT NULL CHECK (local_id > 0),
    content jsonb NOT NULL,
    meter_number integer NOT NULL,
    card_serial bigint NOT NULL,
    seq bigint NOT NULL CHECK (seq > 0),
    cumulative_before bigint NOT NULL,
    cumulative bigint NOT NULL CHECK (cumulative >= 0 AND cumulative < cumulative_before),
    state text NOT NULL CHECK (state IN ('done', 'aborted')),
    PRIMARY KEY (station_no, local_id)
);
CREATE INDEX refund_tokens_meter ON kv.refund_tokens(meter_number);

CREATE TABLE kv.transfers (
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    local_id bigint NOT NULL CHECK (local_id > 0),
    content jsonb NOT NULL,
    from_meter integer NOT NULL UNIQUE,
    to_meter integer NOT NULL UNIQUE CHECK (to_meter <> from_meter),
    remaining bigint NOT NULL CHECK (remaining >= 0),
    unloaded bigint NOT NULL CHECK (unloaded >= 0),
    energy bigint NOT NULL CHECK (energy = remaining + unloaded),
    created_at bigint NOT NULL,
    PRIMARY KEY (station_no, local_id)
);

-- As every table with a station's rows (003, 008): row-level security
-- forced (a station's session, even through kv_api, reaches only its own
-- rows), immutable.
ALTER TABLE kv.refund_tokens ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE kv.transfers ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON kv.refund_tokens USING (station_no = (SELECT kv.caller_station())
    OR (SELECT pg_catalog.pg_has_role(session_user, 'kv_central_admin', 'MEMBER')));
CREATE POLICY own_rows ON kv.transfers USING (station_no = (SELECT kv.caller_station())
    OR (SELECT pg_catalog.pg_has_role(session_user, 'kv_central_admin', 'MEMBER')));
CREATE TRIGGER refund_tokens_immutable BEFORE UPDATE OR DELETE ON kv.refund_tokens
    FOR EACH ROW EXECUTE FUNCTION kv.refuse_change();
CREATE TRIGGER transfers_immutable BEFORE UPDATE OR DELETE ON kv.transfers
    FOR EACH ROW EXECUTE FUNCTION kv.refuse_change();

ALTER TABLE kv.meter_state ADD COLUMN carried_energy bigint NOT NULL DEFAULT 0;   -- swapped in
ALTER TABLE kv.meter_state ADD COLUMN refunded_energy bigint NOT NULL DEFAULT 0;  -- unloaded, refunded

-- ---- records: the two new kinds, the others as before ----

ALTER FUNCTION kv.apply_record(integer, jsonb, bigint, bytea) RENAME TO apply_record_before_swaps;

-- A record of the kind kept in table tbl, before it is stored: its key
-- checked as for every kind (the caller's station, an id above 0, a JSON
-- object as content; else the batch is refused) and what the key holds:
-- result 'new', 'same' (the same content) or 'conflict' (other content,
-- with the reason).  For the kinds of this and later migrations.
CREATE FUNCTION kv.record_key(me integer, rec jsonb, tbl text, OUT lid bigint, OUT what text,
                              OUT stored jsonb, OUT result text, OUT reason text)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    lid := kv.field_int(rec, 'id', format('push: %s record', rec ->> 'kind'));
    what := format('push: %s %s', rec ->> 'kind', lid);
    IF kv.field_int(rec, 'station', what) IS DISTINCT FROM me THEN
        RAISE EXCEPTION 'push: station % may not push a record of station %', me, rec -> 'station'
            USING ERRCODE = 'insufficient_privilege';
    ELSIF lid < 1 OR jsonb_typeof(rec -> 'content') IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION '%: the id must be above 0 and the content a JSON object', what
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('SELECT x.content FROM kv.%I x WHERE x.station_no = $1 AND x.local_id = $2', tbl)
        INTO stored USING me, lid;
    result := CASE WHEN stored IS NULL THEN 'new' WHEN stored = rec -> 'content' THEN 'same' ELSE 'conflict' END;
    reason := CASE result WHEN 'conflict' THEN format('%s was pushed before with other content', what) END;
END
$$;

-- A record of the two new kinds (the caller's audit head unchanged).
CREATE FUNCTION kv.apply_swap_record(me integer, rec jsonb, OUT result text, OUT stored jsonb, OUT reason text,
                                     OUT meter integer, OUT card bigint)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    kind text := rec ->> 'kind';
    lid bigint;
    c jsonb := rec -> 'content';
    what text;
    f integer;
    t integer;
BEGIN
    SELECT * INTO lid, what, stored, result, reason
        FROM kv.record_key(me, rec, CASE kind WHEN 'refund_token' THEN 'refund_tokens' ELSE 'transfers' END);
    IF result <> 'new' THEN
        RETURN;
    END IF;

    IF kind = 'refund_token' THEN
        meter := kv.field_int(c, 'meter', what);
        IF kv.field_text(c, 'state', what) NOT IN ('done', 'aborted') THEN
            RAISE EXCEPTION '%: a refund token is pushed once settled (state done or aborted), not "%"',
                what, c ->> 'state' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF kv.field_int(c, 'cumulative', what) NOT BETWEEN 0 AND kv.field_int(c, 'cumulative_before', what) - 1 THEN
            RAISE EXCEPTION '%: the cumulative must be below cumulative_before', what
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        INSERT INTO kv.refund_tokens(station_no, local_id, content, meter_number, card_serial, seq,
                                     cumulative_before, cumulative, state)
        VALUES (me, lid, c, meter, kv.field_int(c, 'card', what), kv.field_int(c, 'seq', what),
                kv.field_int(c, 'cumulative_before', what), kv.field_int(c, 'cumulative', what),
                c ->> 'state');
        RETURN;
    END IF;

    -- A transfer: the new meter's state is merged (meter); the meters'
    -- master rows follow the swap.
    f := kv.field_int(c, 'from_meter', what);
    t := kv.field_int(c, 'to_meter', what);
    reason := kv.transfer_clash(f, t);
    IF reason IS NOT NULL THEN
        result := 'conflict';
        RETURN;
    END IF;
    meter := t;
    INSERT INTO kv.transfers(station_no, local_id, content, from_meter, to_meter, remaining, unloaded, energy,
                             created_at)
    VALUES (me, lid, c, f, t, kv.field_int(c, 'remaining', what), kv.field_int(c, 'unloaded', what),
            kv.field_int(c, 'energy', what), kv.field_int(c, 'created_at', what));
    UPDATE kv.meters n SET customer_id = o.customer_id, tariff_code = o.tariff_code
        FROM kv.meters o WHERE o.number = f AND n.number = t
         AND (n.customer_id, n.tariff_code) IS DISTINCT FROM (o.customer_id, o.tariff_code);
    UPDATE kv.meters SET status = 'removed' WHERE number = f AND status <> 'removed';
END
$$;

-- Every record: the two new kinds here, the others as before.
CREATE FUNCTION kv.apply_record(me integer, rec jsonb, INOUT head_id bigint, INOUT head_hash bytea,
                                OUT result text, OUT stored jsonb, OUT reason text,
                                OUT meter integer, OUT card bigint)
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM kv.apply_record_before_swaps(me, rec, head_id, head_hash)
        WHERE jsonb_typeof(rec) IS DISTINCT FROM 'object' OR rec ->> 'kind' NOT IN ('refund_token', 'transfer')
                                                          OR rec ->> 'kind' IS NULL
    UNION ALL
    SELECT head_id, head_hash, x.* FROM kv.apply_swap_record(me, rec) x
        WHERE jsonb_typeof(rec) = 'object' AND rec ->> 'kind' IN ('refund_token', 'transfer')
$$;

RESET ROLE;

-- Whether a transfer of any station already took these meters (a meter is
-- swapped away once, and receives once while fresh: the new meter of one
-- swap may be the old meter of a later one): the reason of the conflict,
-- or NULL.  Owned by kv_central_merger: a station's session sees only its
-- own rows, and the clash may be with another station's.
CREATE FUNCTION kv.transfer_clash(f integer, t integer) RETURNS text LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT format('meter %s was already swapped for meter %s by station %s (transfer %s)',
                  x.from_meter, x.to_meter, x.station_no, x.local_id)
    FROM kv.transfers x
    WHERE x.from_meter IN (f, t) OR x.to_meter = t
    ORDER BY x.station_no, x.local_id LIMIT 1
$$;
ALTER FUNCTION kv.transfer_clash(integer, integer) OWNER TO kv_central_merger;

-- The per-meter sums: the sales as before (kv.merge_meter_sales, which
-- locks the meter's state row), then the credit swapped in and the unloaded
-- credit refunded, and the refund tokens' sequences.  kv.merge_meter (008)
-- calls it by this name and then compares the highest readback with
-- sold_energy.
ALTER FUNCTION kv.merge_meter_sums(integer) RENAME TO merge_meter_sales;
CREATE FUNCTION kv.merge_meter_sums(m integer) RETURNS void LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT kv.merge_meter_sales(m);
    UPDATE kv.meter_state ms SET carried_energy = x.carried, refunded_energy = x.refunded,
        sold_energy = ms.sold_energy + x.carried - x.refunded, max_seq = greatest(ms.max_seq, x.seq)
    FROM (SELECT coalesce((SELECT sum(t.energy) FROM kv.transfers t WHERE t.to_meter = m), 0) AS carried,
                 coalesce((SELECT sum(r.cumulative_before - r.cumulative) FROM kv.refund_tokens r
                           WHERE r.meter_number = m AND r.state = 'done'), 0) AS refunded,
                 coalesce((SELECT max(r.seq) FROM kv.refund_tokens r WHERE r.meter_number = m), 0) AS seq) x
    WHERE ms.meter_number = m
      AND (ms.carried_energy, ms.refunded_energy, x.carried, x.refunded, ms.max_seq)
          IS DISTINCT FROM (0::bigint, 0::bigint, 0::bigint, 0::bigint, greatest(ms.max_seq, x.seq));
$$;
ALTER FUNCTION kv.merge_meter_sums(integer) OWNER TO kv_central_merger;
GRANT SELECT ON kv.transfers, kv.refund_tokens TO kv_central_merger;
REVOKE ALL ON FUNCTION kv.merge_meter_sums(integer), kv.merge_meter_sales(integer),
    kv.record_key(integer, jsonb, text),
    kv.transfer_clash(integer, integer), kv.apply_record(integer, jsonb, bigint, bytea), kv.apply_swap_record(integer, jsonb),
    kv.apply_record_before_swaps(integer, jsonb, bigint, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv.merge_meter_sums(integer), kv.merge_meter_sales(integer),
    kv.transfer_clash(integer, integer) TO kv_central_owner;

-- ---- every reading the audit chain records is pushed, as recorded ----

-- A conflict found by head office's own checks (not a record pushed with
-- other content): kept, the station's sync stopped, and the reply the
-- station gets (as kv.push_records replies).
SET LOCAL ROLE kv_central_owner;
CREATE FUNCTION kv.stop_station(me integer, kind text, id bigint, reason text, offered jsonb) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO kv.conflicts(station_no, kind, local_id, reason, offered) VALUES (me, kind, id, reason, offered);
    UPDATE kv.stations SET sync_state = 'stopped' WHERE station_no = me;
    RETURN jsonb_build_object('status', 'conflict', 'station', me, 'kind', kind, 'id', id, 'message', reason);
END
$$;
RESET ROLE;

-- A station's readback import stores the reading and its audit row
-- "meter.reading" on "meter:NNNNNNNNN" ("counter=C remaining=R loaded=L
-- ...") in one transaction, and pushes both (the reading by its own
-- cursor, in the same batch as its audit row or an earlier one).  The
-- audit chain cannot lose a row unseen (a gap or a fork is refused), so a
-- reading whose row was deleted from the station's ledger before its push,
-- or changed, would hide what the meter loaded from the cross-office
-- check: the batch is then a conflict that stops the station.
SET LOCAL ROLE kv_central_owner;
ALTER FUNCTION kv_api.push(jsonb) RENAME TO push_before_readings;
ALTER FUNCTION kv_api.push_before_readings(jsonb) SET SCHEMA kv;

-- The first audit row of the batch recording a reading of which this
-- station holds no readback with that meter, counter and loaded credit
-- (after the batch): its id and the reason, or nothing.
CREATE FUNCTION kv.reading_unpushed(me integer, batch jsonb, OUT id bigint, OUT reason text)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT a.id, format('audit row %s records a reading of meter %s (counter %s, loaded %s) that was not '
                        'pushed as recorded: the station''s reading was deleted or changed before its push',
                        a.id, a.meter, a.counter, a.loaded)
    FROM (SELECT (r ->> 'id')::bigint AS id, (regexp_match(r -> 'content' ->> 'object', '^meter:([0-9]+)$'))[1]::bigint AS meter,
                 regexp_match(r -> 'content' ->> 'detail', '^counter=([0-9]+) remaining=-?[0-9]+ loaded=([0-9]+)( |$)') AS d
          FROM jsonb_array_elements(batch) r
          WHERE r ->> 'kind' = 'audit' AND r -> 'content' ->> 'action' = 'meter.reading') x
    CROSS JOIN LATERAL (SELECT x.id, x.meter, x.d[1]::bigint AS counter, x.d[2]::bigint AS loaded) a
    WHERE x.meter IS NOT NULL AND x.d IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM kv.readbacks b WHERE b.station_no = me AND b.meter_number = a.meter
                         AND b.counter = a.counter AND (b.content ->> 'cumulative_loaded')::bigint = a.loaded)
    ORDER BY a.id LIMIT 1
$$;

CREATE FUNCTION kv_api.push(batch jsonb) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    res jsonb;
    bad record;
BEGIN
    res := kv.push_before_readings(batch);
    SELECT * INTO bad FROM kv.reading_unpushed(kv.caller_station(), batch) WHERE res ->> 'status' = 'ok';
    IF bad.id IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'KV409', MESSAGE = bad.reason;
    END IF;
    RETURN res;
EXCEPTION WHEN SQLSTATE 'KV409' THEN
    -- The batch is undone (with this block); the conflict kept, the
    -- station stopped.
    RETURN kv.stop_station(kv.caller_station(), 'audit', bad.id, bad.reason,
                           (SELECT r -> 'content' FROM jsonb_array_elements(batch) r
                             WHERE r ->> 'kind' = 'audit' AND (r ->> 'id')::bigint = bad.id LIMIT 1));
END
$$;
RESET ROLE;
REVOKE ALL ON FUNCTION kv_api.push(jsonb), kv.push_before_readings(jsonb), kv.reading_unpushed(integer, jsonb),
    kv.stop_station(integer, text, bigint, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION kv.push_before_readings(jsonb) FROM kv_station;
GRANT EXECUTE ON FUNCTION kv_api.push(jsonb) TO kv_station;

-- ---- key holdings: as the station's audit chain records them ----

-- A station reports the key versions it holds from its key_holdings rows,
-- which its ledger writes together with an audit row ("keys.load",
-- "keys.migrate", "keys.holdings" on object "keys": "... backend=B
-- current=N versions=1,2").  A report that differs from the newest such
-- row head office holds (the rows edited in the station's ledger) is a
-- conflict that stops the station, and nothing is stored.  At head office
-- kv.key_holdings is written only by a station's report: a direct INSERT,
-- UPDATE or DELETE is refused (the rollout would count a version a station
-- does not hold).
SET LOCAL ROLE kv_central_owner;
CREATE INDEX audit_keys ON kv.audit(station_no, local_id) WHERE content ->> 'object' = 'keys';

CREATE FUNCTION kv.key_holdings_guard() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF current_setting('kv.holdings_report', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'kv.key_holdings is written only by a station''s report (kv_api.key_holdings)'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER key_holdings_guard BEFORE INSERT OR UPDATE OR DELETE ON kv.key_holdings
    FOR EACH ROW EXECUTE FUNCTION kv.key_holdings_guard();

ALTER FUNCTION kv_api.key_holdings(jsonb) RENAME TO key_holdings_store;
ALTER FUNCTION kv_api.key_holdings_store(jsonb) SET SCHEMA kv;

-- The newest holdings the station's audit chain records: backend and the
-- versions in ascending order, or nothing.
CREATE FUNCTION kv.key_holdings_audited(me integer, OUT id bigint, OUT backend text, OUT versions integer[])
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT a.local_id, m[1], coalesce((SELECT array_agg(DISTINCT v::integer ORDER BY v::integer)
                                       FROM unnest(string_to_array(m[2], ',')) v WHERE v <> ''), '{}')
    FROM kv.audit a
    CROSS JOIN LATERAL regexp_match(a.content ->> 'detail', ' ?backend=([a-z0-9]+) current=[0-9]+ versions=([0-9,]*)$') m
    WHERE a.station_no = me AND a.content ->> 'object' = 'keys' AND m IS NOT NULL
    ORDER BY a.local_id DESC LIMIT 1
$$;

-- Why a report differs from what the station's audit chain records (NULL:
-- it does not, or the chain records none), with that audit row.
CREATE FUNCTION kv.key_holdings_mismatch(me integer, report jsonb, OUT id bigint, OUT why text)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT h.id, format('the key holdings reported (%s %s) are not those the station''s audit row %s records '
                        '(%s %s): its key_holdings rows were edited', report ->> 'backend', report -> 'versions',
                        h.id, h.backend, array_to_string(h.versions, ','))
    FROM kv.key_holdings_audited(me) h
    WHERE h.id IS NOT NULL AND jsonb_typeof(report -> 'versions') = 'array'
      AND (report ->> 'backend' IS DISTINCT FROM h.backend
           OR (SELECT coalesce(array_agg(DISTINCT v::text::integer ORDER BY v::text::integer), '{}')
               FROM jsonb_array_elements(report -> 'versions') v WHERE jsonb_typeof(v) = 'number')
              IS DISTINCT FROM h.versions)
$$;

CREATE FUNCTION kv_api.key_holdings(report jsonb) RETURNS jsonb LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN m.why IS NULL THEN kv.key_holdings_store(report)
                ELSE kv.stop_station(kv.caller_station(), 'key_holdings', m.id, m.why, report) END
    FROM (SELECT NULL) one LEFT JOIN kv.key_holdings_mismatch(kv.caller_station(), report) m ON true
$$;
RESET ROLE;
-- The report stored: the only writer of kv.key_holdings (the setting its
-- guard asks for holds while it runs; set by a superuser, here).
ALTER FUNCTION kv.key_holdings_store(jsonb) SET kv.holdings_report = 'on';
REVOKE ALL ON FUNCTION kv_api.key_holdings(jsonb), kv.key_holdings_store(jsonb), kv.key_holdings_audited(integer),
    kv.key_holdings_guard(), kv.key_holdings_mismatch(integer, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION kv.key_holdings_store(jsonb) FROM kv_station;
GRANT EXECUTE ON FUNCTION kv_api.key_holdings(jsonb) TO kv_station;
