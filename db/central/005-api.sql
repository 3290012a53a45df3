-- 005-api.sql - what a station may call (kv_api.push, kv_api.pull) and the
-- head office's own functions (register a station, resolve a conflict).
-- The batch and reply formats are in docs/multi-office.md.
SET LOCAL ROLE kv_central_owner;

-- Content fields, each with an error that says which record and field.
CREATE FUNCTION kv.field_int(c jsonb, f text, what text, required boolean DEFAULT true)
    RETURNS bigint LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v jsonb := c -> f;
    n numeric;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        IF required THEN
            RAISE EXCEPTION '%: field "%" is missing', what, f USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN NULL;
    END IF;
    IF jsonb_typeof(v) <> 'number' THEN
        RAISE EXCEPTION '%: field "%" is not a number', what, f USING ERRCODE = 'invalid_parameter_value';
    END IF;
    n := v::text::numeric;
    IF n <> trunc(n) OR n < -9223372036854775808 OR n > 9223372036854775807 THEN
        RAISE EXCEPTION '%: field "%" is not a 64-bit integer', what, f USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN n::bigint;
END
$$;

CREATE FUNCTION kv.field_text(c jsonb, f text, what text) RETURNS text LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF jsonb_typeof(c -> f) IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION '%: field "%" is missing or not a string', what, f
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN c ->> f;
END
$$;

CREATE FUNCTION kv.field_hash(c jsonb, f text, what text) RETURNS bytea LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t text := kv.field_text(c, f, what);
BEGIN
    IF t !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION '%: field "%" is not 64 lower-case hex digits', what, f
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN decode(t, 'hex');
END
$$;

-- One record of a batch.  result: 'new' (stored), 'same' (a replay: the key
-- holds the same content), 'conflict' (reason says why; nothing stored).
-- Malformed records raise an error: the whole batch is refused.  head_id and
-- head_hash carry the station's audit head from record to record.
CREATE FUNCTION kv.apply_record(me integer, rec jsonb, INOUT head_id bigint, INOUT head_hash bytea,
                                OUT result text, OUT stored jsonb, OUT reason text,
                                OUT meter integer, OUT card bigint)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    kind text;
    tbl text;
    sno bigint;
    lid bigint;
    c jsonb;
    what text;
    other record;
    prev bytea;
    h bytea;
BEGIN
    IF jsonb_typeof(rec) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'push: every record must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    kind := rec ->> 'kind';
    tbl := CASE kind WHEN 'sale' THEN 'sales' WHEN 'sale_state' THEN 'sale_states'
                     WHEN 'card' THEN 'cards' WHEN 'card_status' THEN 'card_statuses'
                     WHEN 'readback' THEN 'readbacks' WHEN 'engineering_token' THEN 'engineering_tokens'
                     WHEN 'shift' THEN 'shifts' WHEN 'audit' THEN 'audit' END;
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'push: unknown record kind "%" (a station pushes only sale, sale_state, card, card_status, readback, engineering_token, shift and audit records)',
            coalesce(kind, '(none)') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    sno := kv.field_int(rec, 'station', 'push: ' || kind || ' record');
    IF sno IS DISTINCT FROM me THEN
        RAISE EXCEPTION 'push: station % may not push a record of station %', me, sno
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    lid := kv.field_int(rec, 'id', 'push: ' || kind || ' record');
    IF lid < 1 THEN
        RAISE EXCEPTION 'push: % record id % is not positive', kind, lid USING ERRCODE = 'invalid_parameter_value';
    END IF;
    c := rec -> 'content';
    what := format('push: %s %s', kind, lid);
    IF jsonb_typeof(c) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION '%: content must be a JSON object', what USING ERRCODE = 'invalid_parameter_value';
    END IF;

    stored := CASE tbl
        WHEN 'sales' THEN (SELECT x.content FROM kv.sales x WHERE x.station_no = me AND x.local_id = lid)
        WHEN 'sale_states' THEN (SELECT x.content FROM kv.sale_states x WHERE x.station_no = me AND x.local_id = lid)
        WHEN 'cards' THEN (SELECT x.content FROM kv.cards x WHERE x.station_no = me AND x.local_id = lid)
        WHEN 'card_statuses' THEN (SELECT x.content FROM kv.card_statuses x WHERE x.station_no = me AND x.local_id = lid)
        WHEN 'readbacks' THEN (SELECT x.content FROM kv.readbacks x WHERE x.station_no = me AND x.local_id = lid)
        WHEN 'engineering_tokens' THEN (SELECT x.content FROM kv.engineering_tokens x
                                        WHERE x.station_no = me AND x.local_id = lid)
        WHEN 'shifts' THEN (SELECT x.content FROM kv.shifts x WHERE x.station_no = me AND x.local_id = lid)
        WHEN 'audit' THEN (SELECT x.content FROM kv.audit x WHERE x.station_no = me AND x.local_id = lid)
    END;
    IF stored IS NOT NULL THEN
        IF stored = c THEN
            result := 'same';
        ELSE
            result := 'conflict';
            reason := format('%s %s was pushed before with other content', kind, lid);
        END IF;
        RETURN;
    END IF;
    result := 'new';

    CASE kind
    WHEN 'sale' THEN
        meter := kv.field_int(c, 'meter', what);
        INSERT INTO kv.sales(station_no, local_id, content, meter_number, card_serial, customer_id,
                             seq, amount, energy, cumulative, created_at)
        VALUES (me, lid, c, meter, kv.field_int(c, 'card', what), kv.field_int(c, 'customer', what, false),
                kv.field_int(c, 'seq', what), kv.field_int(c, 'amount', what),
                kv.field_int(c, 'energy', what), kv.field_int(c, 'cumulative', what),
                kv.field_int(c, 'created_at', what));
    WHEN 'sale_state' THEN
        SELECT s.meter_number INTO meter FROM kv.sales s
            WHERE s.station_no = me AND s.local_id = kv.field_int(c, 'sale', what);
        IF NOT FOUND THEN
            RAISE EXCEPTION '%: sale % was not pushed before its state change', what, c -> 'sale'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        INSERT INTO kv.sale_states(station_no, local_id, content, sale_id, meter_number, state, at, cancel_seq)
        VALUES (me, lid, c, kv.field_int(c, 'sale', what), meter, kv.field_text(c, 'state', what),
                kv.field_int(c, 'at', what), kv.field_int(c, 'cancel_seq', what, false));
    WHEN 'card' THEN
        card := lid;
        -- The serial's state row is locked first, so that two stations
        -- issuing the same serial at the same time cannot both pass.
        INSERT INTO kv.card_state(serial, status) VALUES (lid, 'issuing') ON CONFLICT DO NOTHING;
        PERFORM 1 FROM kv.card_state cs WHERE cs.serial = lid FOR UPDATE;
        SELECT cs.station_no, cs.meter_number INTO other FROM kv.card_state cs
            WHERE cs.serial = lid AND cs.station_no IS NOT NULL AND cs.station_no <> me;
        IF FOUND THEN
            result := 'conflict';
            reason := format('card serial %s was issued before by station %s (meter %s)',
                             lid, other.station_no, other.meter_number);
            RETURN;
        END IF;
        INSERT INTO kv.cards(station_no, local_id, content, meter_number, type, status)
        VALUES (me, lid, c, kv.field_int(c, 'meter', what), kv.field_int(c, 'type', what),
                kv.field_text(c, 'status', what));
    WHEN 'card_status' THEN
        card := kv.field_int(c, 'card', what);
        INSERT INTO kv.card_statuses(station_no, local_id, content, card_serial, status, at)
        VALUES (me, lid, c, card, kv.field_text(c, 'status', what), kv.field_int(c, 'at', what));
    WHEN 'readback' THEN
        meter := kv.field_int(c, 'meter', what);
        INSERT INTO kv.readbacks(station_no, local_id, content, meter_number, counter, last_seq, read_at)
        VALUES (me, lid, c, meter, kv.field_int(c, 'counter', what), kv.field_int(c, 'last_seq', what),
                kv.field_int(c, 'read_at', what));
    WHEN 'engineering_token' THEN
        meter := kv.field_int(c, 'meter', what);
        INSERT INTO kv.engineering_tokens(station_no, local_id, content, meter_number, card_serial, kind, seq)
        VALUES (me, lid, c, meter, kv.field_int(c, 'card', what), kv.field_int(c, 'kind', what),
                kv.field_int(c, 'seq', what));
    WHEN 'shift' THEN
        INSERT INTO kv.shifts(station_no, local_id, content, cashier_id, opened_at, closed_at)
        VALUES (me, lid, c, kv.field_int(c, 'cashier', what), kv.field_int(c, 'opened_at', what),
                kv.field_int(c, 'closed_at', what));
    WHEN 'audit' THEN
        -- The chain must continue the centre's copy row by row: a gap is
        -- an error (push in order), a fork or a row whose hash does not
        -- match its content is a conflict (the station's file was
        -- rewritten).  Same canonical row as the station's audit log.
        IF lid <> head_id + 1 THEN
            RAISE EXCEPTION '%: the centre''s audit chain ends at row %; push the rows in order', what, head_id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        prev := kv.field_hash(c, 'prev_hash', what);
        h := kv.field_hash(c, 'hash', what);
        IF prev <> head_hash THEN
            result := 'conflict';
            reason := format('audit row %s does not continue the centre''s chain (row %s ends with %s, the row links to %s): the chain forked',
                             lid, head_id, encode(head_hash, 'hex'), encode(prev, 'hex'));
            RETURN;
        END IF;
        IF h <> sha256(prev || convert_to(format('%s|%s|%s|%s|%s|%s', lid, kv.field_int(c, 'at', what),
                                                 coalesce(kv.field_int(c, 'user', what, false), 0),
                                                 kv.field_text(c, 'action', what),
                                                 kv.field_text(c, 'object', what),
                                                 kv.field_text(c, 'detail', what)), 'UTF8')) THEN
            result := 'conflict';
            reason := format('audit row %s: its hash does not match its content (the row was altered)', lid);
            RETURN;
        END IF;
        INSERT INTO kv.audit(station_no, local_id, content, prev_hash, hash) VALUES (me, lid, c, prev, h);
        head_id := lid;
        head_hash := h;
    END CASE;
END
$$;

-- Push one batch (a JSON array of records) in one transaction.  See
-- docs/multi-office.md for the reply.
CREATE FUNCTION kv_api.push(batch jsonb) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me integer := kv.caller_station();
    st record;
    rec jsonb;
    r record;
    n integer := 0;
    n_new integer := 0;
    hid bigint;
    hh bytea;
    meters integer[] := '{}';
    cards bigint[] := '{}';
    m integer;
    cd bigint;
    c_kind text;
    c_id bigint;
    c_stored jsonb;
    c_offered jsonb;
    c_reason text;
BEGIN
    IF me IS NULL THEN
        RAISE EXCEPTION 'kv_api.push: % is not a station', session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- One push at a time per station (the audit head moves).
    SELECT * INTO st FROM kv.stations WHERE station_no = me FOR UPDATE;
    IF NOT FOUND OR NOT st.active THEN
        RAISE EXCEPTION 'kv_api.push: station % is not registered or not active', me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF st.sync_state <> 'ok' THEN
        RETURN jsonb_build_object('status', 'stopped', 'station', me,
            'open_conflicts', (SELECT count(*) FROM kv.conflicts WHERE station_no = me AND resolved_at IS NULL),
            'message', format('sync of station %s is stopped by a conflict: head office must resolve it', me));
    END IF;
    IF jsonb_typeof(batch) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'kv_api.push: the batch must be a JSON array of records' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_array_length(batch) > 20000 THEN
        RAISE EXCEPTION 'kv_api.push: % records in one batch (at most 20000)', jsonb_array_length(batch)
            USING ERRCODE = 'program_limit_exceeded';
    END IF;
    hid := st.audit_head_id;
    hh := st.audit_head_hash;

    BEGIN
        FOR rec IN SELECT value FROM jsonb_array_elements(batch) LOOP
            n := n + 1;
            SELECT * INTO r FROM kv.apply_record(me, rec, hid, hh);
            IF r.result = 'conflict' THEN
                c_kind := rec ->> 'kind';
                c_id := (rec ->> 'id')::bigint;
                c_stored := r.stored;
                c_offered := rec -> 'content';
                c_reason := r.reason;
                RAISE EXCEPTION USING ERRCODE = 'KV409', MESSAGE = c_reason;
            END IF;
            hid := r.head_id;
            hh := r.head_hash;
            IF r.result = 'new' THEN
                n_new := n_new + 1;
                IF r.meter IS NOT NULL AND NOT r.meter = ANY (meters) THEN
                    meters := meters || r.meter;
                END IF;
                IF r.card IS NOT NULL AND NOT r.card = ANY (cards) THEN
                    cards := cards || r.card;
                END IF;
            END IF;
        END LOOP;
        FOR m IN SELECT x FROM unnest(meters) x ORDER BY x LOOP
            PERFORM kv.merge_meter(m);
        END LOOP;
        FOR cd IN SELECT x FROM unnest(cards) x ORDER BY x LOOP
            PERFORM kv.merge_card(cd);
        END LOOP;
    EXCEPTION WHEN SQLSTATE 'KV409' THEN
        -- Everything this batch did is undone; the conflict is kept and the
        -- station stops until head office resolves it.
        INSERT INTO kv.conflicts(station_no, kind, local_id, reason, stored, offered)
        VALUES (me, c_kind, c_id, c_reason, c_stored, c_offered);
        UPDATE kv.stations SET sync_state = 'stopped' WHERE station_no = me;
        RETURN jsonb_build_object('status', 'conflict', 'station', me, 'kind', c_kind, 'id', c_id,
                                  'message', c_reason);
    END;

    UPDATE kv.stations SET last_push_at = now(), audit_head_id = hid, audit_head_hash = hh
        WHERE station_no = me;
    RETURN jsonb_build_object('status', 'ok', 'station', me, 'records', n, 'new', n_new,
                              'same', n - n_new, 'audit_head', hid || '-' || encode(hh, 'hex'));
END
$$;

-- Master data and merged state changed since a cursor ('' or NULL: all).
CREATE FUNCTION kv_api.pull(since text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me integer := kv.caller_station();
    snap pg_snapshot := pg_current_snapshot();
    c xid8 := '0';
    reset boolean := false;
    res jsonb;
BEGIN
    IF me IS NULL THEN
        RAISE EXCEPTION 'kv_api.pull: % is not a station', session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF coalesce(since, '') <> '' THEN
        IF since !~ '^[0-9]{1,20}$' THEN
            RAISE EXCEPTION 'kv_api.pull: bad cursor "%"', since USING ERRCODE = 'invalid_parameter_value';
        END IF;
        c := since::xid8;
        -- A cursor from the future: this server was restored from an older
        -- backup.  Start again from the beginning.
        IF c > pg_snapshot_xmax(snap) THEN
            c := '0';
            reset := true;
        END IF;
    END IF;
    UPDATE kv.stations SET last_pull_at = now() WHERE station_no = me AND active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'kv_api.pull: station % is not registered or not active', me
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    SELECT jsonb_build_object(
        'cursor', pg_snapshot_xmin(snap)::text,
        'reset', reset,
        'station', (SELECT jsonb_build_object('station', s.station_no, 'office', s.office, 'name', s.name,
                        'offline_hours', s.offline_hours, 'offline_money', s.offline_money,
                        'sync_state', s.sync_state,
                        'open_conflicts', (SELECT count(*) FROM kv.conflicts k
                                            WHERE k.station_no = me AND k.resolved_at IS NULL),
                        'audit_head', s.audit_head_id || '-' || encode(s.audit_head_hash, 'hex'))
                    FROM kv.stations s WHERE s.station_no = me),
        'users', (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'changed_xid' ORDER BY x.id), '[]')
                  FROM kv.users x WHERE x.changed_xid >= c),
        'customers', (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'changed_xid' ORDER BY x.id), '[]')
                      FROM kv.customers x WHERE x.changed_xid >= c),
        'tariffs', (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'changed_xid' ORDER BY x.code), '[]')
                    FROM kv.tariffs x WHERE x.changed_xid >= c),
        'tariff_versions', (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'changed_xid' ORDER BY x.id), '[]')
                            FROM kv.tariff_versions x WHERE x.changed_xid >= c),
        'meters', (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'changed_xid' ORDER BY x.number), '[]')
                   FROM kv.meters x WHERE x.changed_xid >= c),
        'settings', (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'changed_xid' ORDER BY x.key), '[]')
                     FROM kv.settings x WHERE x.changed_xid >= c),
        'key_versions', (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'changed_xid' ORDER BY x.family, x.version), '[]')
                         FROM kv.key_versions x WHERE x.changed_xid >= c),
        'meter_state', (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'changed_xid' ORDER BY x.meter_number), '[]')
                        FROM kv.meter_state x WHERE x.changed_xid >= c),
        'card_state', (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'changed_xid' ORDER BY x.serial), '[]')
                       FROM kv.card_state x WHERE x.changed_xid >= c))
        INTO res;
    RETURN res;
END
$$;

-- Head office (run as a superuser, for example by tools/central-setup.sh):
-- register a station (its role logs in with its certificate only: no
-- password), or update its office, name and offline limits.
CREATE FUNCTION kv.register_station(no integer, office integer, name text,
                                    offline_hours integer DEFAULT 72, offline_money bigint DEFAULT 0)
    RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r text;
BEGIN
    IF no IS NULL OR no NOT BETWEEN 1 AND 32767 THEN
        RAISE EXCEPTION 'station number % is not in 1..32767', no USING ERRCODE = 'invalid_parameter_value';
    END IF;
    r := 'kv_station_' || lpad(no::text, 5, '0');
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', r);
    END IF;
    EXECUTE format('GRANT kv_station TO %I', r);
    -- A station needs one or two connections; a stolen certificate must
    -- not exhaust the server's, nor hold locks for ever.
    EXECUTE format('ALTER ROLE %I CONNECTION LIMIT 4', r);
    EXECUTE format('ALTER ROLE %I SET statement_timeout = ''120s''', r);
    EXECUTE format('ALTER ROLE %I SET idle_in_transaction_session_timeout = ''60s''', r);
    INSERT INTO kv.stations AS s (station_no, office, name, offline_hours, offline_money)
    VALUES (no, office, name, offline_hours, offline_money)
    ON CONFLICT (station_no) DO UPDATE SET office = EXCLUDED.office, name = EXCLUDED.name,
        offline_hours = EXCLUDED.offline_hours, offline_money = EXCLUDED.offline_money
    WHERE (s.office, s.name, s.offline_hours, s.offline_money)
          IS DISTINCT FROM (EXCLUDED.office, EXCLUDED.name, EXCLUDED.offline_hours, EXCLUDED.offline_money);
    RETURN r;
END
$$;

-- Head office: after looking at a station's open conflicts, let its sync go
-- on.  The records first pushed stay as they are.
CREATE FUNCTION kv.resolve_conflicts(no integer, note text) RETURNS integer LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    UPDATE kv.conflicts SET resolved_at = now(), resolved_note = note
        WHERE station_no = no AND resolved_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE kv.stations SET sync_state = 'ok' WHERE station_no = no AND sync_state <> 'ok';
    RETURN n;
END
$$;

RESET ROLE;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA kv, kv_api FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv_api.push(jsonb), kv_api.pull(text) TO kv_station;
-- Policies call it when head office reads the tables directly.
GRANT EXECUTE ON FUNCTION kv.caller_station() TO kv_central_admin;
