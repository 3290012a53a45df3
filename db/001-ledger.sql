-- 001-ledger.sql - the station ledger, first version.
--
-- Money is INTEGER minor currency units (cents), energy INTEGER 0.01 kWh,
-- times INTEGER seconds since 1970-01-01 UTC.  Every table is STRICT and
-- checks what it can; rules that SQL cannot express (meter check digit,
-- roles, the sale state machine) are enforced in src/core.

-- Utility and office settings: utility_name, utility_code, currency,
-- minor_digits, office_id, max_sale_amount, max_sale_energy, factory_psc.
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE CHECK (length(login) BETWEEN 1 AND 64),
    full_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('cashier', 'supervisor', 'admin')),
    pw_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL UNIQUE CHECK (length(account) BETWEEN 1 AND 32),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    debt INTEGER NOT NULL DEFAULT 0 CHECK (debt >= 0),
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX customers_name ON customers(name COLLATE NOCASE);

-- A tariff code (for example RES, COM) has versions with effective dates;
-- the version in force at the time of a sale prices it.  Prices are net of
-- VAT, in 1/10000 of a minor unit per kWh (price_e4 = 1450000 is 145.0000
-- cents/kWh), so that fractional cent prices need no floats.
CREATE TABLE tariffs (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 16),
    name TEXT NOT NULL DEFAULT '',
    effective_from INTEGER NOT NULL,
    vat_bp INTEGER NOT NULL CHECK (vat_bp BETWEEN 0 AND 10000),
    fixed_monthly INTEGER NOT NULL DEFAULT 0 CHECK (fixed_monthly >= 0),
    debt_bp INTEGER NOT NULL DEFAULT 0 CHECK (debt_bp BETWEEN 0 AND 9000),
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    UNIQUE (code, effective_from)
) STRICT;

-- Blocks (steps) over the energy bought for a meter in the calendar month:
-- block n covers the month's energy up to upto (0.01 kWh, cumulative),
-- the last block has upto NULL (no limit).  A flat tariff has one block.
CREATE TABLE tariff_blocks (
    tariff_id INTEGER NOT NULL REFERENCES tariffs(id),
    n INTEGER NOT NULL CHECK (n BETWEEN 1 AND 8),
    upto INTEGER CHECK (upto IS NULL OR upto > 0),
    price_e4 INTEGER NOT NULL CHECK (price_e4 > 0),
    PRIMARY KEY (tariff_id, n)
) STRICT, WITHOUT ROWID;

-- A meter.  key_version seals its tokens (rotates); psc_key_version derives
-- its cards' PSCs (does not rotate).  The thresholds are what the meter was
-- provisioned with.  last_seq / cumulative_sold are what this office knows
-- it wrote; rb_* the newest readback imported from a card.
CREATE TABLE meters (
    number INTEGER PRIMARY KEY CHECK (number BETWEEN 1 AND 999999999),
    customer_id INTEGER REFERENCES customers(id),
    model TEXT NOT NULL DEFAULT '',
    phases INTEGER NOT NULL DEFAULT 3 CHECK (phases IN (1, 3)),
    address TEXT NOT NULL DEFAULT '',
    tariff_code TEXT NOT NULL DEFAULT 'DEFAULT',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'removed')),
    key_version INTEGER NOT NULL CHECK (key_version BETWEEN 1 AND 254),
    psc_key_version INTEGER NOT NULL CHECK (psc_key_version BETWEEN 1 AND 254),
    alarm_level INTEGER NOT NULL CHECK (alarm_level >= 0),
    pretrip_level INTEGER NOT NULL CHECK (pretrip_level >= 0),
    hoarding_limit INTEGER NOT NULL CHECK (hoarding_limit BETWEEN 1 AND 2147483647),
    max_power INTEGER NOT NULL DEFAULT 0 CHECK (max_power >= 0),
    meter_constant INTEGER NOT NULL DEFAULT 1000 CHECK (meter_constant BETWEEN 1 AND 65535),
    reconnect_delay INTEGER NOT NULL DEFAULT 60 CHECK (reconnect_delay BETWEEN 0 AND 65535),
    last_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    cumulative_sold INTEGER NOT NULL DEFAULT 0 CHECK (cumulative_sold BETWEEN 0 AND 2147483647),
    rb_counter INTEGER,
    rb_remaining INTEGER,
    rb_cumulative_loaded INTEGER,
    rb_last_seq INTEGER,
    rb_status INTEGER,
    rb_at INTEGER,
    created_at INTEGER NOT NULL,
    CHECK (pretrip_level <= alarm_level AND alarm_level < hoarding_limit)
) STRICT;
CREATE INDEX meters_customer ON meters(customer_id);

-- Cards.  'issuing' is reserved before the card is touched (like a pending
-- sale); at most one user card per meter is issuing or active.
CREATE TABLE cards (
    serial INTEGER PRIMARY KEY CHECK (serial BETWEEN 1 AND 4294967294),
    meter_number INTEGER NOT NULL REFERENCES meters(number),
    type INTEGER NOT NULL CHECK (type IN (1, 16, 17, 18, 19, 20)),
    status TEXT NOT NULL CHECK (status IN ('issuing', 'active', 'lost', 'replaced', 'blocked', 'failed')),
    issue_step TEXT NOT NULL DEFAULT 'reserved'
        CHECK (issue_step IN ('reserved', 'written', 'psc-changing', 'done')),
    token_seq INTEGER NOT NULL DEFAULT 0,
    token_cumulative INTEGER NOT NULL DEFAULT 0,
    replaces INTEGER REFERENCES cards(serial),
    issued_at INTEGER NOT NULL,
    issued_by INTEGER REFERENCES users(id),
    status_reason TEXT
) STRICT;
CREATE UNIQUE INDEX cards_one_user_card ON cards(meter_number)
    WHERE type = 1 AND status IN ('issuing', 'active');

CREATE TABLE shifts (
    id INTEGER PRIMARY KEY,
    cashier_id INTEGER NOT NULL REFERENCES users(id),
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    opening_float INTEGER NOT NULL DEFAULT 0 CHECK (opening_float >= 0),
    expected_cash INTEGER,
    counted_cash INTEGER CHECK (counted_cash IS NULL OR counted_cash >= 0),
    CHECK (closed_at IS NULL OR closed_at >= opened_at)
) STRICT;
CREATE UNIQUE INDEX shifts_one_open ON shifts(cashier_id) WHERE closed_at IS NULL;

-- Sales.  id is the receipt number and the token's sale_ref.  State machine:
-- pending (committed before the card is touched) -> written (card write
-- reported done) -> completed (read back and verified) | failed (the card
-- does not hold the token); completed -> cancelling (committed before the
-- card is touched) -> cancelled (a new token restores the previous
-- cumulative, see docs/station.md) or back to completed.
CREATE TABLE sales (
    id INTEGER PRIMARY KEY,
    meter_number INTEGER NOT NULL REFERENCES meters(number),
    customer_id INTEGER REFERENCES customers(id),
    card_serial INTEGER NOT NULL REFERENCES cards(serial),
    tariff_id INTEGER NOT NULL REFERENCES tariffs(id),
    cashier_id INTEGER NOT NULL REFERENCES users(id),
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'written', 'completed', 'failed',
                                         'cancelling', 'cancelled')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    fixed_charge INTEGER NOT NULL CHECK (fixed_charge >= 0),
    debt_recovered INTEGER NOT NULL CHECK (debt_recovered >= 0),
    energy_net INTEGER NOT NULL CHECK (energy_net >= 0),
    vat INTEGER NOT NULL CHECK (vat >= 0),
    energy INTEGER NOT NULL CHECK (energy > 0),
    blocks TEXT NOT NULL,
    office INTEGER NOT NULL CHECK (office BETWEEN 0 AND 65535),
    seq INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 4294967294),
    base_cumulative INTEGER NOT NULL CHECK (base_cumulative >= 0),
    cumulative INTEGER NOT NULL CHECK (cumulative <= 2147483647),
    fail_reason TEXT,
    cancel_seq INTEGER,
    cancelled_by INTEGER REFERENCES users(id),
    cancel_reason TEXT,
    CHECK (amount = fixed_charge + debt_recovered + energy_net + vat),
    CHECK (cumulative = base_cumulative + energy),
    CHECK ((state IN ('cancelling', 'cancelled')) = (cancel_seq IS NOT NULL)),
    UNIQUE (meter_number, seq)
) STRICT;
CREATE INDEX sales_created ON sales(created_at);
CREATE INDEX sales_shift ON sales(shift_id);
CREATE INDEX sales_customer ON sales(customer_id, created_at);
CREATE INDEX sales_meter ON sales(meter_number, created_at);
CREATE UNIQUE INDEX sales_one_unresolved ON sales(meter_number)
    WHERE state IN ('pending', 'written', 'cancelling');

-- Readbacks the meters wrote on cards, verified with the meter's MAC.
CREATE TABLE meter_readings (
    id INTEGER PRIMARY KEY,
    meter_number INTEGER NOT NULL REFERENCES meters(number),
    card_serial INTEGER NOT NULL,
    read_at INTEGER NOT NULL,
    counter INTEGER NOT NULL,
    status INTEGER NOT NULL,
    key_version INTEGER NOT NULL,
    remaining INTEGER NOT NULL,
    cumulative_loaded INTEGER NOT NULL,
    total_energy INTEGER NOT NULL,
    energy_l1 INTEGER NOT NULL,
    energy_l2 INTEGER NOT NULL,
    energy_l3 INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    result INTEGER NOT NULL,
    events BLOB NOT NULL,
    UNIQUE (meter_number, counter)
) STRICT;

-- Append-only, hash-chained: hash = SHA-256(prev_hash || canonical row).
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user_id INTEGER,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
