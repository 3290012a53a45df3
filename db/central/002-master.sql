-- 002-master.sql - master data: owned by the head office, flows down to the
-- stations (kv_api.pull), never written by a station.
--
-- Every pulled table has changed_xid: the transaction that last wrote the
-- row (set on INSERT by default, on UPDATE by kv.touch).  A pull returns the
-- rows with changed_xid >= its cursor, and its new cursor is the oldest
-- transaction still running when it started, so a row committed late by a
-- long transaction is never skipped (it may come twice: applying is
-- idempotent).  Master rows are never deleted (set active/status instead),
-- so that what a station holds is never orphaned.
SET LOCAL ROLE kv_central_owner;

CREATE FUNCTION kv.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_xid := pg_current_xact_id();
    RETURN NEW;
END
$$;

CREATE FUNCTION kv.refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%: rows are never deleted (set their status instead)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TABLE kv.users (
    id bigint PRIMARY KEY CHECK (id > 0),
    login text NOT NULL UNIQUE CHECK (length(login) BETWEEN 1 AND 64),
    full_name text NOT NULL DEFAULT '',
    role text NOT NULL CHECK (role IN ('cashier', 'supervisor', 'admin')),
    pw_hash text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    created_at bigint NOT NULL,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);

CREATE TABLE kv.customers (
    id bigint PRIMARY KEY CHECK (id > 0),
    account text NOT NULL UNIQUE CHECK (length(account) BETWEEN 1 AND 32),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address text NOT NULL DEFAULT '',
    phone text NOT NULL DEFAULT '',
    -- Settled centrally: an adjustment is a visible change of this row.
    debt bigint NOT NULL DEFAULT 0 CHECK (debt >= 0),
    created_at bigint NOT NULL,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);

-- A tariff code and its versions (effective dates).  Prices as on the
-- station: 1/10000 of a minor unit per kWh; blocks is the station's block
-- list, [{"upto": 0.01 kWh or null, "price_e4": n}, ...] in order.
CREATE TABLE kv.tariffs (
    code text PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 16),
    name text NOT NULL DEFAULT '',
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);

CREATE TABLE kv.tariff_versions (
    id bigint PRIMARY KEY CHECK (id > 0),
    code text NOT NULL REFERENCES kv.tariffs(code),
    effective_from bigint NOT NULL,
    vat_bp integer NOT NULL CHECK (vat_bp BETWEEN 0 AND 10000),
    fixed_monthly bigint NOT NULL DEFAULT 0 CHECK (fixed_monthly >= 0),
    debt_bp integer NOT NULL DEFAULT 0 CHECK (debt_bp BETWEEN 0 AND 9000),
    blocks jsonb NOT NULL CHECK (jsonb_typeof(blocks) = 'array' AND jsonb_array_length(blocks) BETWEEN 1 AND 8),
    created_at bigint NOT NULL,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    UNIQUE (code, effective_from)
);

CREATE TABLE kv.meters (
    number integer PRIMARY KEY CHECK (number BETWEEN 1 AND 999999999),
    customer_id bigint REFERENCES kv.customers(id),
    model text NOT NULL DEFAULT '',
    phases integer NOT NULL DEFAULT 3 CHECK (phases IN (1, 3)),
    address text NOT NULL DEFAULT '',
    tariff_code text NOT NULL REFERENCES kv.tariffs(code),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'removed')),
    key_version integer NOT NULL CHECK (key_version BETWEEN 1 AND 254),
    psc_key_version integer NOT NULL CHECK (psc_key_version BETWEEN 1 AND 254),
    key_version_target integer CHECK (key_version_target IS NULL OR key_version_target BETWEEN 1 AND 254),
    alarm_level integer NOT NULL CHECK (alarm_level >= 0),
    pretrip_level integer NOT NULL CHECK (pretrip_level >= 0),
    hoarding_limit integer NOT NULL CHECK (hoarding_limit >= 1),
    max_power integer NOT NULL DEFAULT 0 CHECK (max_power >= 0),
    meter_constant integer NOT NULL DEFAULT 1000 CHECK (meter_constant BETWEEN 1 AND 65535),
    reconnect_delay integer NOT NULL DEFAULT 60 CHECK (reconnect_delay BETWEEN 0 AND 65535),
    created_at bigint NOT NULL,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    CHECK (pretrip_level <= alarm_level AND alarm_level < hoarding_limit)
);

CREATE TABLE kv.settings (
    key text PRIMARY KEY,
    value text NOT NULL,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);

-- Key VERSIONS, never keys: which version of each key family is in force.
-- The keys themselves stay in each station's key backend (key file or
-- token); there is deliberately no column that could hold one.
CREATE TABLE kv.key_versions (
    family text NOT NULL CHECK (family IN ('token', 'psc', 'audit')),
    version integer NOT NULL CHECK (version BETWEEN 1 AND 254),
    state text NOT NULL CHECK (state IN ('next', 'current', 'retired')),
    created_at bigint NOT NULL,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (family, version)
);
CREATE UNIQUE INDEX key_versions_one_current ON kv.key_versions(family) WHERE state = 'current';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'customers', 'tariffs', 'tariff_versions', 'meters',
                             'settings', 'key_versions'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON kv.%I FOR EACH ROW EXECUTE FUNCTION kv.touch()',
                       t || '_touch', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE DELETE ON kv.%I FOR EACH ROW EXECUTE FUNCTION kv.refuse_delete()',
                       t || '_no_delete', t);
        EXECUTE format('CREATE INDEX %I ON kv.%I(changed_xid)', t || '_changed', t);
    END LOOP;
END
$$;
