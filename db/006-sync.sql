-- 006-sync.sql - station numbers and the link to the head office
-- (docs/multi-office.md, "The station side").
--
-- station_no: the station's utility-unique number (1..4094), in every
-- globally visible id (card serials station << 20 | n, the token's office
-- field, sales.office).  A ledger from before it gets the number of its old
-- office id, so nothing already on a card is renumbered; office_id stays as
-- a grouping for reports.
INSERT INTO settings(key, value)
    SELECT 'station_no', value FROM settings WHERE key = 'office_id'
    AND NOT EXISTS (SELECT 1 FROM settings WHERE key = 'station_no');

-- The sync client's state: one row.  The audit chain is the outbox: every
-- change commits with its audit row, so "the rows after pushed_audit" are
-- what the head office has not confirmed yet.  Readings and engineering
-- tokens are pushed by their own ids.
--   joined_at      first contact with the head office: from then on the
--                  online-only operations and the offline limits apply
--   last_push_at / last_pull_at / last_success_at  seconds since 1970
--   offline_since  the first failed attempt since the last success
--   conflict       the head office refused a record (or the chains differ):
--                  sync is stopped until head office and `sync recover`
--   centre_head    the station's audit head as the centre holds it
--                  ("ROW-HASH", from the last pull): the anchor of
--                  `audit verify --anchor centre`
--   recover        why selling is refused until `kilovendctl sync recover`
--                  (the ledger is behind or forked from the centre's copy)
--   offline_hours / offline_money  the limits the head office set (0: none)
CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pushed_audit INTEGER NOT NULL DEFAULT 0 CHECK (pushed_audit >= 0),
    pushed_reading INTEGER NOT NULL DEFAULT 0 CHECK (pushed_reading >= 0),
    pushed_engineering INTEGER NOT NULL DEFAULT 0 CHECK (pushed_engineering >= 0),
    pull_cursor TEXT NOT NULL DEFAULT '',
    joined_at INTEGER,
    last_attempt_at INTEGER,
    last_push_at INTEGER,
    last_pull_at INTEGER,
    last_success_at INTEGER,
    offline_since INTEGER,
    last_error TEXT,
    conflict TEXT,
    centre_head TEXT,
    recover TEXT,
    offline_hours INTEGER NOT NULL DEFAULT 0 CHECK (offline_hours >= 0),
    offline_money INTEGER NOT NULL DEFAULT 0 CHECK (offline_money >= 0)
) STRICT;
INSERT INTO sync_state(id) VALUES (1);

-- What the other offices did to each meter, merged at the head office and
-- pulled (kv.meter_state): the highest token sequence anyone used, the
-- newest readback, and what every office sold (completed, not cancelled).
-- The station takes it into account for its next token and its anomaly
-- check; its own ledger's columns (meters.last_seq, cumulative_sold) stay
-- what this station did.
CREATE TABLE meter_remote (
    meter_number INTEGER PRIMARY KEY,
    max_seq INTEGER NOT NULL DEFAULT 0,
    sold_energy INTEGER NOT NULL DEFAULT 0,
    sold_amount INTEGER NOT NULL DEFAULT 0,
    sold_count INTEGER NOT NULL DEFAULT 0,
    rb_station INTEGER,
    rb_counter INTEGER,
    rb_last_seq INTEGER,
    rb_cumulative_loaded INTEGER,
    pulled_at INTEGER NOT NULL
) STRICT;
