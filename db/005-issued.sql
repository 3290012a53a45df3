-- 005-issued.sql - issued sales, supervisor resolutions, anomalies and
-- adopted cumulative bases (docs/station.md, "Issued sales", "Anomalies",
-- "Reconciliation").
--
-- The sales table is rebuilt (SQLite cannot change a CHECK constraint) to
-- admit two states:
--   issued  the token may have reached a card (its write began) but the card
--           did not show it; money is not settled until proof (the token on
--           the card, a MAC-verified readback) or a supervisor's decision;
--   void    an issued sale a supervisor closed as not paid, or a later
--           completed sale of the meter covers (its credit can no longer add
--           anything, docs/station.md).
-- card_write_at: when the first byte of the token was about to be sent
-- (committed before the write); NULL: the write never started, and such a
-- sale may still fail.  resolved_by / resolution: the supervisor's decision
-- on an issued sale (with the audit row).
CREATE TABLE sales_new (
    id INTEGER PRIMARY KEY,
    meter_number INTEGER NOT NULL REFERENCES meters(number),
    customer_id INTEGER REFERENCES customers(id),
    card_serial INTEGER NOT NULL REFERENCES cards(serial),
    tariff_id INTEGER NOT NULL REFERENCES tariffs(id),
    cashier_id INTEGER NOT NULL REFERENCES users(id),
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'written', 'completed', 'failed',
                                         'cancelling', 'cancelled', 'issued', 'void')),
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
    card_write_at INTEGER,
    resolved_by INTEGER REFERENCES users(id),
    resolution TEXT,
    CHECK (amount = fixed_charge + debt_recovered + energy_net + vat),
    CHECK (cumulative = base_cumulative + energy),
    CHECK ((state IN ('cancelling', 'cancelled')) = (cancel_seq IS NOT NULL)),
    CHECK (state NOT IN ('issued', 'void') OR card_write_at IS NOT NULL),
    UNIQUE (meter_number, seq)
) STRICT;
INSERT INTO sales_new(id, meter_number, customer_id, card_serial, tariff_id, cashier_id,
                      shift_id, state, created_at, updated_at, amount, fixed_charge,
                      debt_recovered, energy_net, vat, energy, blocks, office, seq,
                      base_cumulative, cumulative, fail_reason, cancel_seq, cancelled_by,
                      cancel_reason)
    SELECT id, meter_number, customer_id, card_serial, tariff_id, cashier_id, shift_id, state,
           created_at, updated_at, amount, fixed_charge, debt_recovered, energy_net, vat,
           energy, blocks, office, seq, base_cumulative, cumulative, fail_reason, cancel_seq,
           cancelled_by, cancel_reason FROM sales;
DROP TABLE sales;
ALTER TABLE sales_new RENAME TO sales;
CREATE INDEX sales_created ON sales(created_at);
CREATE INDEX sales_shift ON sales(shift_id);
CREATE INDEX sales_customer ON sales(customer_id, created_at);
CREATE INDEX sales_meter ON sales(meter_number, created_at);
CREATE UNIQUE INDEX sales_one_unresolved ON sales(meter_number)
    WHERE state IN ('pending', 'written', 'cancelling');
CREATE INDEX sales_issued ON sales(meter_number) WHERE state = 'issued';
-- The reconciliation reads each meter's sales in token order from this
-- index alone (about 30 bytes a sale), not from the scattered table rows.
CREATE INDEX sales_reconcile ON sales(meter_number, seq, state, base_cumulative, cumulative);

-- Anomalies: what the station saw that its ledger cannot explain, each
-- with its audit row.  kind:
--   own-token-above-sold  a token this office sealed is above what it sold
--                         and completed for the meter (a "failed"/void or
--                         cancelled sale's token came back: emulator, card
--                         pulled after the last byte, restored dump)
--   issued-proven         an issued sale was proven later by its card
--   loaded-above-sold     a readback shows more loaded than was sold
--   readback-backwards    a readback's counter, cumulative loaded or total
--                         energy is below the last stored readback
-- amount: 0.01 kWh at stake (0 for readback-backwards on the counter only).
-- ack_*: a supervisor's acknowledgement (the anomaly stays listed).
CREATE TABLE anomalies (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('own-token-above-sold', 'issued-proven',
                                       'loaded-above-sold', 'readback-backwards')),
    meter_number INTEGER NOT NULL REFERENCES meters(number),
    card_serial INTEGER NOT NULL DEFAULT 0,
    sale_id INTEGER,
    token_seq INTEGER,
    token_sale_ref INTEGER,
    amount INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
    detail TEXT NOT NULL,
    ack_at INTEGER,
    ack_by INTEGER REFERENCES users(id),
    ack_reason TEXT
) STRICT;
CREATE INDEX anomalies_meter ON anomalies(meter_number, at);

-- Each time a completed sale raised the meter's cumulative sold above what
-- this station had sold (its base came from another office's token, a
-- readback, or an anomaly), by how much and from where: the reconciliation
-- of cumulative_sold against the energy of completed sales counts these.
CREATE TABLE base_adoptions (
    sale_id INTEGER PRIMARY KEY REFERENCES sales(id),
    meter_number INTEGER NOT NULL REFERENCES meters(number),
    sold_before INTEGER NOT NULL,
    base INTEGER NOT NULL,
    source TEXT NOT NULL,
    anomaly_id INTEGER REFERENCES anomalies(id),
    CHECK (base > sold_before)
) STRICT;
