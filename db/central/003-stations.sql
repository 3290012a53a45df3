-- 003-stations.sql - stations, the records they push, and the per-meter
-- and per-card state merged from them.
--
-- A record's global key is (station_no, local_id): the station's number and
-- the record's id in that station's ledger.  Records are immutable once
-- pushed (the triggers below refuse UPDATE and DELETE); content is the
-- record as the station sent it, the other columns are read from it.
SET LOCAL ROLE kv_central_owner;

-- station_no is utility-unique (1..32767: the range of the token issuer
-- number, docs/card-format.md, so a station's number can be its issuer);
-- office only groups stations.  Its database role is kv_station_NNNNN
-- (five digits), the CN of its client certificate.
CREATE TABLE kv.stations (
    station_no integer PRIMARY KEY CHECK (station_no BETWEEN 1 AND 32767),
    office integer NOT NULL CHECK (office BETWEEN 0 AND 65535),
    name text NOT NULL DEFAULT '',
    active boolean NOT NULL DEFAULT true,
    -- Offline limits, set here, pulled by the station: past either one it
    -- stops selling until it has synced.
    offline_hours integer NOT NULL DEFAULT 72 CHECK (offline_hours BETWEEN 1 AND 8760),
    offline_money bigint NOT NULL DEFAULT 0 CHECK (offline_money >= 0),
    -- 'stopped' after a conflict: pushes are refused until head office
    -- resolves it (kv.resolve_conflicts).
    sync_state text NOT NULL DEFAULT 'ok' CHECK (sync_state IN ('ok', 'stopped')),
    -- The station's audit head as received: the anchor of
    -- `audit verify --head`.  0 / 32 zero bytes: nothing received yet.
    audit_head_id bigint NOT NULL DEFAULT 0 CHECK (audit_head_id >= 0),
    audit_head_hash bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'
        CHECK (length(audit_head_hash) = 32),
    last_push_at timestamptz,
    last_pull_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE TRIGGER stations_touch BEFORE UPDATE ON kv.stations FOR EACH ROW EXECUTE FUNCTION kv.touch();
CREATE TRIGGER stations_no_delete BEFORE DELETE ON kv.stations FOR EACH ROW EXECUTE FUNCTION kv.refuse_delete();

-- The station a session belongs to: from its role name (the certificate's
-- CN), and only for members of kv_station.  NULL for anyone else.
-- (Plain SQL without SET, everything qualified: the planner inlines it,
-- which matters because the policies below call it on every statement.)
CREATE FUNCTION kv.caller_station() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN pg_catalog.textregexeq(session_user::pg_catalog.text, '^kv_station_[0-9]{5}$')
                     AND pg_catalog.pg_has_role(session_user, 'kv_station', 'MEMBER')
                THEN pg_catalog.substr(session_user::pg_catalog.text, 12)::pg_catalog.int4 END
$$;

-- A record whose key exists with other content: kept side by side, never
-- overwritten.  The station's sync stops until head office resolves it.
CREATE TABLE kv.conflicts (
    id bigserial PRIMARY KEY,
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    kind text NOT NULL,
    local_id bigint NOT NULL,
    reason text NOT NULL,
    stored jsonb,
    offered jsonb NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolved_note text
);
CREATE INDEX conflicts_open ON kv.conflicts(station_no) WHERE resolved_at IS NULL;

-- The record tables.
CREATE TABLE kv.sales (
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    local_id bigint NOT NULL CHECK (local_id > 0),
    content jsonb NOT NULL,
    meter_number integer NOT NULL,
    card_serial bigint NOT NULL,
    customer_id bigint,
    seq bigint NOT NULL CHECK (seq > 0),
    amount bigint NOT NULL CHECK (amount > 0),
    energy bigint NOT NULL CHECK (energy > 0),
    cumulative bigint NOT NULL,
    created_at bigint NOT NULL,
    pushed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_no, local_id)
);
CREATE INDEX sales_meter ON kv.sales(meter_number);
CREATE INDEX sales_created ON kv.sales(created_at);
CREATE INDEX sales_customer ON kv.sales(customer_id, created_at);

-- A sale's state changes (pending, written, completed, failed, cancelling,
-- cancelled); the one with the highest local_id is its state.
CREATE TABLE kv.sale_states (
    station_no integer NOT NULL,
    local_id bigint NOT NULL CHECK (local_id > 0),
    content jsonb NOT NULL,
    sale_id bigint NOT NULL,
    meter_number integer NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'written', 'completed', 'failed',
                                         'cancelling', 'cancelled')),
    at bigint NOT NULL,
    cancel_seq bigint,
    PRIMARY KEY (station_no, local_id),
    FOREIGN KEY (station_no, sale_id) REFERENCES kv.sales(station_no, local_id)
);
CREATE INDEX sale_states_sale ON kv.sale_states(station_no, sale_id, local_id);
CREATE INDEX sale_states_meter ON kv.sale_states(meter_number);

-- Cards as issued (local_id is the serial); their later status changes.
CREATE TABLE kv.cards (
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    local_id bigint NOT NULL CHECK (local_id BETWEEN 1 AND 4294967294),
    content jsonb NOT NULL,
    meter_number integer NOT NULL,
    type integer NOT NULL,
    status text NOT NULL CHECK (status IN ('issuing', 'active', 'lost', 'replaced', 'blocked', 'failed')),
    PRIMARY KEY (station_no, local_id)
);
CREATE INDEX cards_serial ON kv.cards(local_id);

CREATE TABLE kv.card_statuses (
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    local_id bigint NOT NULL CHECK (local_id > 0),
    content jsonb NOT NULL,
    card_serial bigint NOT NULL,
    status text NOT NULL CHECK (status IN ('issuing', 'active', 'lost', 'replaced', 'blocked', 'failed')),
    at bigint NOT NULL,
    PRIMARY KEY (station_no, local_id)
);
CREATE INDEX card_statuses_card ON kv.card_statuses(card_serial);

CREATE TABLE kv.readbacks (
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    local_id bigint NOT NULL CHECK (local_id > 0),
    content jsonb NOT NULL,
    meter_number integer NOT NULL,
    counter bigint NOT NULL,
    last_seq bigint NOT NULL,
    read_at bigint NOT NULL,
    PRIMARY KEY (station_no, local_id)
);
CREATE INDEX readbacks_meter ON kv.readbacks(meter_number, counter);

CREATE TABLE kv.engineering_tokens (
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    local_id bigint NOT NULL CHECK (local_id > 0),
    content jsonb NOT NULL,
    meter_number integer NOT NULL,
    card_serial bigint NOT NULL,
    kind integer NOT NULL,
    seq bigint NOT NULL CHECK (seq >= 0),
    PRIMARY KEY (station_no, local_id)
);
CREATE INDEX engineering_tokens_meter ON kv.engineering_tokens(meter_number);

-- A shift is pushed once it is closed.
CREATE TABLE kv.shifts (
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    local_id bigint NOT NULL CHECK (local_id > 0),
    content jsonb NOT NULL,
    cashier_id bigint NOT NULL,
    opened_at bigint NOT NULL,
    closed_at bigint NOT NULL,
    PRIMARY KEY (station_no, local_id)
);

-- The station's audit chain, checked link by link as it arrives (see
-- kv.apply_audit): hash = SHA-256(prev_hash || "id|at|user|action|object|detail").
CREATE TABLE kv.audit (
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    local_id bigint NOT NULL CHECK (local_id > 0),
    content jsonb NOT NULL,
    prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (station_no, local_id)
);

CREATE FUNCTION kv.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%: pushed records are immutable', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

-- Merged state, one row per meter and per card serial, across stations.
-- Written only by kv_api.push; reaches the stations through kv_api.pull.
CREATE TABLE kv.meter_state (
    meter_number integer PRIMARY KEY,
    max_seq bigint NOT NULL DEFAULT 0,             -- highest token sequence anyone used
    rb_station integer,                            -- newest readback (highest counter)
    rb_local_id bigint,
    rb_counter bigint,
    rb_content jsonb,
    sold_energy bigint NOT NULL DEFAULT 0,         -- completed, non-cancelled sales
    sold_amount bigint NOT NULL DEFAULT 0,
    sold_count bigint NOT NULL DEFAULT 0,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX meter_state_changed ON kv.meter_state(changed_xid);

CREATE TABLE kv.card_state (
    serial bigint PRIMARY KEY,
    station_no integer,                            -- the issuing station (NULL: its
    meter_number integer,                          -- card record has not come yet)
    type integer,
    status text NOT NULL,                          -- the most restrictive reported
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX card_state_changed ON kv.card_state(changed_xid);
CREATE TRIGGER meter_state_touch BEFORE UPDATE ON kv.meter_state FOR EACH ROW EXECUTE FUNCTION kv.touch();
CREATE TRIGGER card_state_touch BEFORE UPDATE ON kv.card_state FOR EACH ROW EXECUTE FUNCTION kv.touch();

-- Row-level security, FORCED (the owner too, so the SECURITY DEFINER
-- functions are held to it): a station sees and inserts only rows with its
-- own number; head office (kv_central_admin, superusers) sees all.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stations', 'conflicts', 'sales', 'sale_states', 'cards',
                             'card_statuses', 'readbacks', 'engineering_tokens', 'shifts',
                             'audit'] LOOP
        EXECUTE format('ALTER TABLE kv.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE kv.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY own_rows ON kv.%I USING '
                       '(station_no = (SELECT kv.caller_station()) '
                       ' OR (SELECT pg_catalog.pg_has_role(session_user, ''kv_central_admin'', ''MEMBER'')))', t);
        IF t NOT IN ('stations', 'conflicts') THEN
            EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON kv.%I '
                           'FOR EACH ROW EXECUTE FUNCTION kv.refuse_change()', t || '_immutable', t);
        END IF;
    END LOOP;
END
$$;
