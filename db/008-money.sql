-- 008-money.sql - the money side of the station (docs/station.md,
-- "Payment types").
--
-- payment: how the sale was paid, the numbers of KvPaymentType
-- (src/core/kv-payments.h): 0 cash, 1 mobile money, 2 bank card, 3 bank
-- transfer.  Existing sales were cash.  payment_ref: the provider's
-- reference (NULL for cash); a type's reference is taken by one live sale
-- only (a failed, void or cancelled sale frees it).
ALTER TABLE sales ADD COLUMN payment INTEGER NOT NULL DEFAULT 0
    CHECK (payment BETWEEN 0 AND 3);
ALTER TABLE sales ADD COLUMN payment_ref TEXT
    CHECK (payment_ref IS NULL OR length(payment_ref) BETWEEN 1 AND 64);
CREATE UNIQUE INDEX sales_payment_ref ON sales(payment, payment_ref)
    WHERE payment_ref IS NOT NULL AND state NOT IN ('failed', 'void', 'cancelled');

-- Arrears (docs/station.md, "Arrears"): a customer's debt is the sum of its
-- movements, each with its kind and reason:
--   opening      the balance the customer had before this ledger (this
--                migration) or was registered with
--   added        debt added by a supervisor (reason)
--   recovered    taken by a completed sale (sale_id; negative)
--   restored     a cancelled sale's recovery put back (sale_id)
--   adjusted     a supervisor's correction (reason; either sign)
--   written-off  debt given up (reason; negative)
-- customers.debt is the running balance, kept by the trigger below in the
-- same transaction as the movement and checked against the sum: it can
-- change no other way.  Movements are append-only.
CREATE TABLE debt_movements (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opening', 'added', 'recovered', 'restored',
                                       'adjusted', 'written-off')),
    amount INTEGER NOT NULL CHECK (amount <> 0),
    sale_id INTEGER REFERENCES sales(id),
    user_id INTEGER REFERENCES users(id),
    reason TEXT NOT NULL DEFAULT '',
    CHECK ((kind IN ('recovered', 'written-off')) <= (amount < 0)),
    CHECK ((kind IN ('opening', 'added', 'restored')) <= (amount > 0)),
    CHECK ((kind IN ('recovered', 'restored')) = (sale_id IS NOT NULL))
) STRICT;
CREATE INDEX debt_movements_customer ON debt_movements(customer_id, kind, at);
CREATE INDEX debt_movements_at ON debt_movements(at);
INSERT INTO debt_movements(customer_id, at, kind, amount, reason)
    SELECT id, CAST(strftime('%s', 'now') AS INTEGER), 'opening', debt,
           'balance before the debt ledger' FROM customers WHERE debt > 0;
CREATE TRIGGER debt_movement_applies AFTER INSERT ON debt_movements
BEGIN
    UPDATE customers SET debt = debt + NEW.amount WHERE id = NEW.customer_id;
END;
CREATE TRIGGER debt_only_by_movements BEFORE UPDATE OF debt ON customers
    WHEN NEW.debt <> (SELECT coalesce(sum(amount), 0) FROM debt_movements
                      WHERE customer_id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'the debt changes only through its movements');
END;
CREATE TRIGGER debt_movements_no_update BEFORE UPDATE ON debt_movements
    BEGIN SELECT RAISE(ABORT, 'debt movements are append-only'); END;
CREATE TRIGGER debt_movements_no_delete BEFORE DELETE ON debt_movements
    BEGIN SELECT RAISE(ABORT, 'debt movements are append-only'); END;
CREATE INDEX customers_in_debt ON customers(id) WHERE debt > 0;

-- Recovery plans: how a customer's debt is recovered from their purchases,
-- instead of the tariff's share (kv-arrears.h):
--   share    share_bp of each purchase, at least min_amount, at most
--            max_amount (NULL: no maximum) per purchase
--   fixed    amount per purchase
--   monthly  amount per calendar month (local time), from the month's
--            first purchases until it is reached
-- A plan is in force from starts_at until ends_at (NULL: until ended); a
-- new plan ends the one before.  Once none is in force the tariff's share
-- applies again.
CREATE TABLE debt_plans (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL CHECK (kind IN ('share', 'fixed', 'monthly')),
    share_bp INTEGER NOT NULL DEFAULT 0 CHECK (share_bp BETWEEN 0 AND 9000),
    min_amount INTEGER NOT NULL DEFAULT 0 CHECK (min_amount >= 0),
    max_amount INTEGER CHECK (max_amount IS NULL OR max_amount >= min_amount),
    amount INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER CHECK (ends_at IS NULL OR ends_at >= starts_at),
    created_by INTEGER REFERENCES users(id),
    end_reason TEXT,
    CHECK ((kind = 'share') = (share_bp > 0)),
    CHECK (kind = 'share' OR amount > 0)
) STRICT;
CREATE INDEX debt_plans_customer ON debt_plans(customer_id, starts_at);

-- The ledger at scale (docs/station.md, "Benchmarks"): the completed sales'
-- totals per local day (day: local midnight, unix seconds), kept by the
-- triggers below in the sale's own transaction (whatever changes a sale,
-- the station or SQL), so that the monthly report reads 31 rows instead of
-- a month of sales.  The day is the station's local time, as the reports'.
CREATE TABLE sales_days (
    day INTEGER PRIMARY KEY,
    sales INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    vat INTEGER NOT NULL,
    energy INTEGER NOT NULL
) STRICT;
INSERT INTO sales_days
    SELECT CAST(strftime('%s', date(created_at, 'unixepoch', 'localtime'), 'utc') AS INTEGER),
           count(*), sum(amount), sum(vat), sum(energy)
    FROM sales WHERE state = 'completed' GROUP BY 1;
CREATE TRIGGER sales_days_insert AFTER INSERT ON sales WHEN NEW.state = 'completed'
BEGIN
    INSERT INTO sales_days VALUES (
        CAST(strftime('%s', date(NEW.created_at, 'unixepoch', 'localtime'), 'utc') AS INTEGER),
        1, NEW.amount, NEW.vat, NEW.energy)
    ON CONFLICT (day) DO UPDATE SET sales = sales + 1, amount = amount + excluded.amount,
        vat = vat + excluded.vat, energy = energy + excluded.energy;
END;
CREATE TRIGGER sales_days_update AFTER UPDATE OF state, created_at, amount, vat, energy ON sales
    WHEN OLD.state = 'completed' OR NEW.state = 'completed'
BEGIN
    UPDATE sales_days SET sales = sales - 1, amount = amount - OLD.amount, vat = vat - OLD.vat,
        energy = energy - OLD.energy
    WHERE OLD.state = 'completed' AND day = CAST(strftime('%s', date(OLD.created_at,
        'unixepoch', 'localtime'), 'utc') AS INTEGER);
    INSERT INTO sales_days SELECT
        CAST(strftime('%s', date(NEW.created_at, 'unixepoch', 'localtime'), 'utc') AS INTEGER),
        1, NEW.amount, NEW.vat, NEW.energy WHERE NEW.state = 'completed'
    ON CONFLICT (day) DO UPDATE SET sales = sales + 1, amount = amount + excluded.amount,
        vat = vat + excluded.vat, energy = energy + excluded.energy;
END;
CREATE TRIGGER sales_days_delete AFTER DELETE ON sales WHEN OLD.state = 'completed'
BEGIN
    UPDATE sales_days SET sales = sales - 1, amount = amount - OLD.amount, vat = vat - OLD.vat,
        energy = energy - OLD.energy
    WHERE day = CAST(strftime('%s', date(OLD.created_at, 'unixepoch', 'localtime'), 'utc')
                     AS INTEGER);
END;

-- Customer categories (docs/station.md, "Customer categories"): each with
-- its tariff code; a customer in a category buys at the category's tariff
-- (the version in force at the sale), whatever the meter's tariff_code.
CREATE TABLE customer_categories (
    code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 16),
    name TEXT NOT NULL DEFAULT '',
    tariff_code TEXT NOT NULL CHECK (length(tariff_code) BETWEEN 1 AND 16),
    created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
ALTER TABLE customers ADD COLUMN category TEXT REFERENCES customer_categories(code);

-- A customer's newest completed purchase (created_at), kept by triggers in
-- the sale's transaction, for the customers who stopped buying
-- (kv_report_dormant) without reading every customer's sales.
ALTER TABLE customers ADD COLUMN last_purchase INTEGER;
UPDATE customers SET last_purchase = (SELECT max(created_at) FROM sales
    WHERE customer_id = customers.id AND state = 'completed');
CREATE INDEX customers_last_purchase ON customers(last_purchase);
CREATE TRIGGER customers_last_purchase_insert AFTER INSERT ON sales
    WHEN NEW.state = 'completed' AND NEW.customer_id IS NOT NULL
BEGIN
    UPDATE customers SET last_purchase = max(coalesce(last_purchase, 0), NEW.created_at)
    WHERE id = NEW.customer_id;
END;
CREATE TRIGGER customers_last_purchase_update AFTER UPDATE OF state, created_at ON sales
    WHEN (OLD.state = 'completed' OR NEW.state = 'completed') AND NEW.customer_id IS NOT NULL
BEGIN
    UPDATE customers SET last_purchase = (SELECT max(created_at) FROM sales
        WHERE customer_id = NEW.customer_id AND state = 'completed')
    WHERE id = NEW.customer_id;
END;
