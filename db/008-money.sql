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
