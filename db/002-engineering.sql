-- 002-engineering.sql - engineering cards, key changes and readback anomalies.

-- The key version a key-change card was issued for; the meter keeps
-- key_version (and is sold to under it) until a readback MAC-verified under
-- the target version shows the meter moved.  NULL: no key change under way.
ALTER TABLE meters ADD COLUMN key_version_target INTEGER
    CHECK (key_version_target IS NULL OR key_version_target BETWEEN 1 AND 254);

-- The ledger's cumulative sold for the meter when the reading was imported,
-- so the per-meter report can show readings that loaded more than was sold
-- (NULL for readings imported before this version).
ALTER TABLE meter_readings ADD COLUMN sold_then INTEGER;

-- Every token written on an engineering card (a card may be used again for
-- the same meter: one row per token).  kind 0 is a check card (no token).
-- applied_at: when a readback on that card showed the meter applied it
-- (parameter and key-change tokens).
CREATE TABLE engineering_tokens (
    id INTEGER PRIMARY KEY,
    card_serial INTEGER NOT NULL REFERENCES cards(serial),
    meter_number INTEGER NOT NULL REFERENCES meters(number),
    kind INTEGER NOT NULL CHECK (kind IN (0, 2, 3, 4, 5)),
    seq INTEGER NOT NULL CHECK (seq >= 0),
    key_version INTEGER NOT NULL CHECK (key_version BETWEEN 1 AND 254),
    alarm_level INTEGER,
    pretrip_level INTEGER,
    hoarding_limit INTEGER,
    max_power INTEGER,
    reconnect_delay INTEGER,
    new_key_version INTEGER CHECK (new_key_version IS NULL OR new_key_version BETWEEN 1 AND 254),
    issued_at INTEGER NOT NULL,
    issued_by INTEGER REFERENCES users(id),
    applied_at INTEGER,
    CHECK ((kind = 2) = (hoarding_limit IS NOT NULL)),
    CHECK ((kind = 4) = (new_key_version IS NOT NULL))
) STRICT;
CREATE INDEX engineering_tokens_card ON engineering_tokens(card_serial, seq);
CREATE INDEX engineering_tokens_meter ON engineering_tokens(meter_number, kind);
