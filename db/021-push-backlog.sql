-- 021-push-backlog.sql - the meter swaps and refund tokens a station made
-- before it pushed them (docs/multi-office.md, "Meter swaps and refund
-- tokens"): their records go with the audit row that made them final
-- ('meter.swap', 'refund.unloaded', 'refund.unloaded-aborted'), and an
-- older version pushed those rows without them.  Every such row head office
-- already confirmed is queued here once; the outbox pushes it again with
-- its records (kv-outbox.c, add_backlog) and deletes it from the queue once
-- head office accepted the batch.  Head office already holds the audit row
-- (a replay, "same"); a record it already holds is a replay too.
CREATE TABLE push_backlog (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL UNIQUE CHECK (audit_id > 0)
) STRICT;
INSERT INTO push_backlog(audit_id)
    SELECT a.id FROM audit a, sync_state y
    WHERE a.id <= y.pushed_audit AND a.action IN ('meter.swap', 'refund.unloaded', 'refund.unloaded-aborted')
    ORDER BY a.id;
