-- 011-sync-records.sql - more of the station's records for head office
-- (docs/multi-office.md, "Across offices"): each sale's payment, the debt
-- movements, refunds with their parts and the credit clear-credit cards
-- emptied, each pushed by its own id after a cursor of its own (the rows
-- are append-only: ids only grow).
--   payment  sales.id     (the payment type and reference of every sale)
--   debt     debt_movements.id
--   refund   refunds.id   (the parts inside the refund's record)
--   clear    credit_clears.id
CREATE TABLE push_cursors (
    stream TEXT PRIMARY KEY CHECK (stream IN ('payment', 'debt', 'refund', 'clear')),
    pushed INTEGER NOT NULL DEFAULT 0 CHECK (pushed >= 0)
) STRICT, WITHOUT ROWID;
INSERT INTO push_cursors(stream) VALUES ('payment'), ('debt'), ('refund'), ('clear');

-- A customer's debt is settled across offices by head office: when a pull
-- brings a balance that differs from this ledger's (a payment at another
-- office), the difference is booked as an 'adjusted' movement with
-- settlement = 1.  Head office does not count those again.
ALTER TABLE debt_movements ADD COLUMN settlement INTEGER NOT NULL DEFAULT 0
    CHECK (settlement IN (0, 1));
