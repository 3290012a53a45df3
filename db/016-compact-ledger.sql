-- 016-compact-ledger.sql - the ledger at scale: fewer bytes per sale
-- (docs/station.md, "Benchmarks"; docs/security-model.md, "Compact audit
-- chain").
--
-- The audit log no longer stores prev_hash: it was always the previous
-- row's hash (the verifier refused any other value), so it is read from
-- that row (row 1: 32 zero bytes) by the verifier, by the refund checks and
-- by the push to head office, which receives the same records as before.
-- The chain formula, hash = SHA-256(prev_hash || "id|at|user|action|object|
-- detail"), and the keyed MAC over each hash are unchanged: every row
-- written before this migration verifies as it did, and nothing is sealed
-- again.  The rows keep their ids; the triggers that refuse UPDATE and
-- DELETE stay (dropping a column rewrites the table without firing them).
ALTER TABLE audit DROP COLUMN prev_hash;

-- A meter's sales are found through the (meter_number, seq) indexes the
-- table already has (its UNIQUE constraint and sales_reconcile); the copy
-- ordered by time was read by no report and cost about 20 bytes a sale.
DROP INDEX sales_meter;
