-- 010-debt-audit.sql - the debt movements and the credit cleared under the
-- audit log (docs/security-model.md, "Insider edits: credit clears and debt
-- movements").
--
-- From this migration on, every debt movement is written with its own
-- audit row (debt.movement, object "debt:<id>", the movement's content) in
-- its transaction, and `audit verify` compares the two.  Movements recorded
-- before have no audit row of their own: the station summarises them once,
-- at its first open after this migration, in one audit row (debt.opening:
-- how many, up to which id, their total and a SHA-256 of their content),
-- chained and sealed like every other row.  The row below asks for that
-- summary (audit_id: its audit row once written); it is added only when
-- no summary exists yet, so a ledger taken back to an older schema and
-- migrated again gets no second one.
CREATE TABLE debt_ledger_start (
    last_movement INTEGER NOT NULL CHECK (last_movement >= 0),
    audit_id INTEGER
) STRICT;
INSERT INTO debt_ledger_start(last_movement)
    SELECT (SELECT coalesce(max(id), 0) FROM debt_movements)
    WHERE NOT EXISTS (SELECT 1 FROM audit WHERE action = 'debt.opening');

-- The audit rows a refund of cleared credit reads (kv_audit_check_clears:
-- the credit cleared, refunded, or carried by a meter swap): a small
-- partial index instead of a scan of the whole log.
CREATE INDEX audit_clears ON audit(object)
    WHERE action IN ('meter.credit-cleared', 'refund.cleared', 'meter.swap');
