-- 015-free-energy.sql - free basic electricity: a monthly free allocation
-- per customer category (docs/station.md, "Free basic electricity").
--
-- customer_categories.free_energy: the allocation, 0.01 kWh a calendar
-- month (local time); 0: none.
ALTER TABLE customer_categories ADD COLUMN free_energy INTEGER NOT NULL DEFAULT 0
    CHECK (free_energy BETWEEN 0 AND 2147483647);

-- A grant is part of the sale that carries it to the card: free_energy
-- (0.01 kWh, not paid) is in the sale's token with the energy bought, and
-- free_month (year * 100 + month, local time) is the month it is granted
-- for.  A sale of free energy alone (the customer buys nothing) has amount
-- and energy 0.  The grant lives and dies with its sale: held while the
-- sale may be or is on a card (pending, written, completed, issued,
-- cancelling), free again when the sale failed, was voided or cancelled
-- (its token adds nothing).  One live grant per customer and month: the
-- unique index below is the last word, whatever the station does.
ALTER TABLE sales ADD COLUMN free_energy INTEGER NOT NULL DEFAULT 0
    CHECK (free_energy BETWEEN 0 AND 2147483647);
ALTER TABLE sales ADD COLUMN free_month INTEGER
    CHECK (free_month IS NULL OR free_month BETWEEN 190001 AND 999912);
CREATE UNIQUE INDEX sales_free_month ON sales(customer_id, free_month)
    WHERE free_month IS NOT NULL AND state NOT IN ('failed', 'void', 'cancelled');
-- The grants alone (a few bytes each), for the station's look-ups, which
-- bind the states as parameters and so cannot use the index above.
CREATE INDEX sales_grants ON sales(customer_id, free_month, state) WHERE free_month IS NOT NULL;

-- The sale's checks, widened in place (the procedure of 009-lifecycle.sql:
-- every stored row satisfies the new text, and SQLite cannot change a
-- CHECK otherwise): a sale may have no money and no energy bought when it
-- carries a free grant; its token's credit is the energy bought plus the
-- free energy; a grant names its month and its customer.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
    SET sql = replace(replace(replace(sql,
        'amount INTEGER NOT NULL CHECK (amount > 0),',
        'amount INTEGER NOT NULL CHECK (amount >= 0),'),
        'energy INTEGER NOT NULL CHECK (energy > 0),',
        'energy INTEGER NOT NULL CHECK (energy >= 0 AND (energy > 0) = (amount > 0)),'),
        'CHECK (cumulative = base_cumulative + energy),',
        'CHECK (cumulative = base_cumulative + energy + free_energy AND energy + free_energy > 0 '
        || 'AND (free_energy > 0) = (free_month IS NOT NULL) '
        || 'AND (free_month IS NULL OR customer_id IS NOT NULL)),')
    WHERE type = 'table' AND name = 'sales';
PRAGMA writable_schema = RESET;

-- The completed grants per local day (day: local midnight, unix seconds),
-- kept by triggers in the sale's own transaction like sales_days, for the
-- monthly report's free energy line.
CREATE TABLE free_days (
    day INTEGER PRIMARY KEY,
    grants INTEGER NOT NULL,
    energy INTEGER NOT NULL
) STRICT;
CREATE TRIGGER free_days_insert AFTER INSERT ON sales
    WHEN NEW.state = 'completed' AND NEW.free_energy > 0
BEGIN
    INSERT INTO free_days VALUES (
        CAST(strftime('%s', date(NEW.created_at, 'unixepoch', 'localtime'), 'utc') AS INTEGER),
        1, NEW.free_energy)
    ON CONFLICT (day) DO UPDATE SET grants = grants + 1, energy = energy + excluded.energy;
END;
CREATE TRIGGER free_days_update AFTER UPDATE OF state, created_at, free_energy ON sales
    WHEN (OLD.state = 'completed' AND OLD.free_energy > 0)
         OR (NEW.state = 'completed' AND NEW.free_energy > 0)
BEGIN
    UPDATE free_days SET grants = grants - 1, energy = energy - OLD.free_energy
    WHERE OLD.state = 'completed' AND OLD.free_energy > 0 AND day = CAST(strftime('%s',
        date(OLD.created_at, 'unixepoch', 'localtime'), 'utc') AS INTEGER);
    INSERT INTO free_days SELECT
        CAST(strftime('%s', date(NEW.created_at, 'unixepoch', 'localtime'), 'utc') AS INTEGER),
        1, NEW.free_energy WHERE NEW.state = 'completed' AND NEW.free_energy > 0
    ON CONFLICT (day) DO UPDATE SET grants = grants + 1, energy = energy + excluded.energy;
END;
CREATE TRIGGER free_days_delete AFTER DELETE ON sales
    WHEN OLD.state = 'completed' AND OLD.free_energy > 0
BEGIN
    UPDATE free_days SET grants = grants - 1, energy = energy - OLD.free_energy
    WHERE day = CAST(strftime('%s', date(OLD.created_at, 'unixepoch', 'localtime'), 'utc')
                     AS INTEGER);
END;
