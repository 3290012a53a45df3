-- 013-unloaded-swap.sql - refunds of credit not yet loaded and meter swaps
-- with the credit carried over (docs/station.md, "Refunds of unloaded
-- credit" and "Meter swap"; docs/security-model.md, "Unloaded refunds and
-- meter swap").
--
-- The token of a refund of unloaded credit (kv-refund-unloaded.c): a credit
-- token of seq `seq` carrying the LOWER cumulative `cumulative` (amount 0),
-- written on the meter's card.  'pending' is on disk before the card is
-- touched (its seq is taken for the meter); 'done' once the card was read
-- back holding it (the refunds row, refund_id, and the meter's cumulative
-- sold lowered in the same transaction); 'aborted' when the card does not
-- hold it (nothing paid, nothing lowered).  The reconciliation folds the
-- 'done' rows into the meter's cumulative sold (kv-reconcile.c).
CREATE TABLE refund_tokens (
    id INTEGER PRIMARY KEY,
    meter_number INTEGER NOT NULL REFERENCES meters(number),
    card_serial INTEGER NOT NULL REFERENCES cards(serial),
    seq INTEGER NOT NULL CHECK (seq > 0),
    cumulative_before INTEGER NOT NULL CHECK (cumulative_before > 0),
    cumulative INTEGER NOT NULL CHECK (cumulative >= 0 AND cumulative < cumulative_before),
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'aborted')),
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    reason TEXT NOT NULL CHECK (length(reason) > 0),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    refund_id INTEGER UNIQUE REFERENCES refunds(id),
    UNIQUE (meter_number, seq)
) STRICT;
CREATE INDEX refund_tokens_pending ON refund_tokens(meter_number) WHERE state = 'pending';

-- A meter swap (kv-swap.c): the credit left in the old meter (cleared by a
-- clear-credit card and read back, or, for a dead meter, the remaining of
-- its newest trusted readback: source 'estimate') and the credit sold to it
-- that it never loaded, carried to the new meter as its starting cumulative
-- sold (no money): the new meter's first card carries it.  A meter is swapped
-- away once and receives once (UNIQUE), so a carried credit is written once.
CREATE TABLE transfers (
    id INTEGER PRIMARY KEY,
    from_meter INTEGER NOT NULL UNIQUE REFERENCES meters(number),
    to_meter INTEGER NOT NULL UNIQUE REFERENCES meters(number),
    source TEXT NOT NULL CHECK (source IN ('cleared', 'estimate')),
    remaining INTEGER NOT NULL CHECK (remaining >= 0),
    unloaded INTEGER NOT NULL CHECK (unloaded >= 0),
    energy INTEGER NOT NULL CHECK (energy = remaining + unloaded),
    readback_counter INTEGER NOT NULL CHECK (readback_counter >= 0),
    reason TEXT NOT NULL CHECK (length(reason) > 0),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    CHECK (from_meter <> to_meter)
) STRICT;
CREATE INDEX transfers_created ON transfers(created_at);

-- Last, the refunds table admits the kind 'unloaded': its CHECK constraint
-- widened in place as 009-lifecycle.sql widened those of cards (every row
-- stored satisfies the wider constraint).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
    SET sql = replace(sql, 'CHECK (kind IN (''cleared''))', 'CHECK (kind IN (''cleared'', ''unloaded''))')
    WHERE type = 'table' AND name = 'refunds';
PRAGMA writable_schema = RESET;
