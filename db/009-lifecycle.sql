-- 009-lifecycle.sql - clear-credit cards and the credit they cleared
-- (docs/card-format.md, "Third revision"; docs/station.md, "Clear credit and
-- refunds").
--
-- The card type 21 (0x15, clear-credit card) and the ledger kind 8 (its
-- token) are admitted by widening two CHECK constraints.  SQLite cannot
-- change a CHECK constraint, and cards cannot be rebuilt inside the
-- migration's transaction while other tables reference it with foreign
-- keys on; widening an IN list changes nothing stored, so the two table
-- definitions are edited in place (the procedure of the SQLite ALTER TABLE
-- documentation) and the schema reloaded.  Every row already stored
-- satisfies the wider constraints.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
    SET sql = replace(sql, 'CHECK (type IN (1, 16, 17, 18, 19, 20))',
                      'CHECK (type IN (1, 16, 17, 18, 19, 20, 21))')
    WHERE type = 'table' AND name = 'cards';
UPDATE sqlite_schema
    SET sql = replace(sql, 'CHECK (kind IN (0, 2, 3, 4, 5))', 'CHECK (kind IN (0, 2, 3, 4, 5, 8))')
    WHERE type = 'table' AND name = 'engineering_tokens';
PRAGMA writable_schema = RESET;

-- Credit a meter's clear-credit cards emptied, as their readbacks proved
-- it: the readback carries the meter's credit ever cleared
-- (cleared_total); each row records what a readback added to the highest
-- total recorded before for the meter (amount), so a report that comes back
-- twice, or on a second insertion of the card, records nothing more.
-- refunded: the part of amount a refund has paid back (kv-refunds.c).
CREATE TABLE credit_clears (
    id INTEGER PRIMARY KEY,
    meter_number INTEGER NOT NULL REFERENCES meters(number),
    card_serial INTEGER NOT NULL REFERENCES cards(serial),
    token_seq INTEGER NOT NULL CHECK (token_seq >= 0),
    readback_counter INTEGER NOT NULL CHECK (readback_counter >= 0),
    cleared_total INTEGER NOT NULL CHECK (cleared_total > 0),
    amount INTEGER NOT NULL CHECK (amount > 0 AND amount <= cleared_total),
    refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    recorded_at INTEGER NOT NULL,
    UNIQUE (meter_number, cleared_total)
) STRICT;

-- Refunds (kv-refunds.c): money paid back out of a shift's drawer for
-- credit the customer no longer has.  kind 'cleared': credit a clear-credit
-- card emptied from the meter (credit_clears.refunded follows), priced at
-- what the sales it came from were paid (refund_parts, newest sale first).
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    meter_number INTEGER NOT NULL REFERENCES meters(number),
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    kind TEXT NOT NULL CHECK (kind IN ('cleared')),
    energy INTEGER NOT NULL CHECK (energy > 0),
    amount INTEGER NOT NULL CHECK (amount >= 0),
    reason TEXT NOT NULL CHECK (length(reason) > 0),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX refunds_shift ON refunds(shift_id);
CREATE INDEX refunds_created ON refunds(created_at);
CREATE TABLE refund_parts (
    refund_id INTEGER NOT NULL REFERENCES refunds(id),
    sale_id INTEGER NOT NULL REFERENCES sales(id),
    energy INTEGER NOT NULL CHECK (energy > 0),
    amount INTEGER NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (refund_id, sale_id)
) STRICT;
CREATE INDEX refund_parts_sale ON refund_parts(sale_id);
