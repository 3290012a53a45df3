-- 020-compact-audit.sql - the audit log in compact storage (docs/station.md,
-- "Audit log"; docs/security-model.md, "Compact audit storage").
--
-- The LOGICAL audit row is unchanged: id, at, user_id, action, object,
-- detail, and its keyed mac; the chain formula hash = SHA-256(prev_hash ||
-- "id|at|user|action|object|detail") and the MAC over it are those of
-- src/core/kv-audit.c.  Every row written before verifies as it did,
-- nothing is sealed again, and head office receives the same records.
-- What changes is how a row is kept:
--   * the plain hash is a function of the row's content and the row before
--     (anyone with a shell can recompute it): it is kept at checkpoints
--     only (each 64th row, audit_checkpoints) and for the head (audit_head,
--     the last row's, replaced with each row); readers recompute it from
--     the nearest checkpoint (kv_audit_iter in kv-audit.c).  The keyed MAC
--     stays on every keyed row;
--   * the action is a number into audit_actions, an object "kind:NUMBER" a
--     number and a format into audit_kinds ("sale:%d", "meter:%09d"; other
--     objects are kept as text);
--   * a sale's row whose detail is an earlier row's of the same sale (at
--     most 16 rows before) with the state changed to its action's (the
--     completed row after the pending one: "completed A E Q C K" after
--     "pending A E Q C K") keeps only how many rows back that one is.  It
--     is read from the log itself, never from the sales table: an edited
--     sale row still differs from its audit record;
--   * a row's time is kept as seconds after the time of the checkpoint row
--     of its block of 64 (a byte or two instead of four).
--   * the sales' index by customer no longer holds the time: a customer's
--     sales are few, and the reports that read them sort them; the
--     reconciliation's covering index goes (at the end).
-- The view audit reads the logical rows back, byte for byte, and its
-- INSTEAD OF INSERT trigger is the one way rows are written: the encoding
-- is kept only where the text read back is the text written.  The
-- physical tables are append-only like the table they replace.

-- The rows, as the old table held them, in order; the table (its
-- triggers and index with it) makes way for the view.
CREATE TEMP TABLE audit_020 AS SELECT id, at, user_id, action, object, detail, hash, mac
    FROM main.audit ORDER BY id;
DROP TRIGGER IF EXISTS sync_state_pushed_sale;
DROP TABLE main.audit;

CREATE TABLE audit_actions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
) STRICT;
-- fixed numbers: a sale's two rows store their action in no byte (0 and 1),
-- and the index audit_clears names the three below
INSERT INTO audit_actions(id, name) VALUES (0, 'sale.completed'), (1, 'sale.pending'),
    (2, 'meter.credit-cleared'), (3, 'refund.cleared'), (4, 'meter.swap');

CREATE TABLE audit_kinds (
    id INTEGER PRIMARY KEY,
    format TEXT NOT NULL UNIQUE
) STRICT;
INSERT INTO audit_kinds(id, format) VALUES (0, 'sale:%d'), (1, 'meter:%09d');

-- at: seconds after the time of the checkpoint of the row's block of 64
-- (row id / 64 * 64; rows 1..63: after 0).  kind NULL: object is the text; else object is the number.
-- detail: the text, or (an integer N) the detail of row id - N, a text,
-- with its first word replaced by the action's state (sale.STATE).
CREATE TABLE audit_rows (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user_id INTEGER,
    action INTEGER NOT NULL,
    kind INTEGER,
    object ANY NOT NULL CHECK ((kind IS NULL) = (typeof(object) = 'text')),
    detail ANY NOT NULL CHECK (typeof(detail) = 'text' OR (typeof(detail) = 'integer' AND
                                                           detail BETWEEN 1 AND 16)),
    mac BLOB CHECK (mac IS NULL OR length(mac) = 32)
) STRICT;

CREATE TABLE audit_checkpoints (
    id INTEGER PRIMARY KEY CHECK (id % 64 = 0),
    at INTEGER NOT NULL,
    hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;

CREATE TABLE audit_head (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    id INTEGER NOT NULL,
    hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;

-- The logical rows.  hash is the stored one: at checkpoints and the head
-- only (NULL elsewhere; kv_audit_iter recomputes every row's).
CREATE VIEW audit(id, at, user_id, action, object, detail, hash, mac) AS
    SELECT r.id, coalesce(b.at, 0) + r.at, r.user_id,
           a.name, CASE WHEN r.kind IS NULL THEN r.object ELSE printf(k.format, r.object) END,
           CASE WHEN typeof(r.detail) = 'integer'
                THEN substr(a.name, 6) || substr(p.detail, instr(p.detail, ' ')) ELSE r.detail END,
           coalesce(c.hash, h.hash),
           r.mac
    FROM audit_rows r
    LEFT JOIN audit_actions a ON a.id = r.action
    LEFT JOIN audit_kinds k ON k.id = r.kind
    LEFT JOIN audit_rows p ON typeof(r.detail) = 'integer' AND p.id = r.id - r.detail
    LEFT JOIN audit_checkpoints c ON c.id = r.id
    LEFT JOIN audit_head h ON h.id = r.id
    LEFT JOIN audit_checkpoints b ON b.id = r.id / 64 * 64;

-- Writing a row: its action and object kind named, its object a number
-- where printf(format, number) gives it back, its detail left out where
-- the view gives it back, its hash kept at a checkpoint and as the head.
CREATE TRIGGER audit_insert INSTEAD OF INSERT ON audit
BEGIN
    SELECT RAISE(ABORT, 'an audit row needs its id and its 32-byte hash')
        WHERE NEW.id IS NULL OR length(NEW.hash) IS NOT 32 OR typeof(NEW.hash) <> 'blob';
    INSERT INTO audit_checkpoints(id, at, hash) SELECT NEW.id, NEW.at, NEW.hash
        WHERE NEW.id % 64 = 0;
    INSERT OR IGNORE INTO audit_actions(name) VALUES (NEW.action);
    INSERT OR IGNORE INTO audit_kinds(format)
        SELECT f FROM (SELECT substr(NEW.object, 1, p) ||
                              CASE WHEN length(d) > 1 AND substr(d, 1, 1) = '0'
                                   THEN '%0' || length(d) || 'd' ELSE '%d' END AS f, d
                       FROM (SELECT instr(NEW.object, ':') AS p,
                                    substr(NEW.object, instr(NEW.object, ':') + 1) AS d)
                       WHERE p > 1 AND length(d) BETWEEN 1 AND 18 AND d NOT GLOB '*[^0-9]*'
                         AND substr(NEW.object, 1, p - 1) NOT GLOB '*[^a-z._-]*')
        WHERE printf(f, CAST(d AS INTEGER)) = NEW.object;
    INSERT INTO audit_rows(id, at, user_id, action, kind, object, detail, mac)
        SELECT NEW.id, NEW.at - coalesce((SELECT b.at FROM audit_checkpoints b
                                          WHERE b.id = NEW.id / 64 * 64), 0),
               NEW.user_id, (SELECT a.id FROM audit_actions a WHERE a.name = NEW.action), k.id,
               CASE WHEN k.id IS NULL THEN NEW.object ELSE CAST(o.d AS INTEGER) END,
               CASE WHEN p.id IS NULL THEN NEW.detail ELSE NEW.id - p.id END, NEW.mac
        FROM (SELECT substr(NEW.object, instr(NEW.object, ':') + 1) AS d) o
        LEFT JOIN audit_kinds k ON instr(NEW.object, ':') > 1 AND o.d NOT GLOB '*[^0-9]*'
             AND length(o.d) BETWEEN 1 AND 18
             AND k.format = substr(NEW.object, 1, instr(NEW.object, ':')) ||
                            CASE WHEN length(o.d) > 1 AND substr(o.d, 1, 1) = '0'
                                 THEN '%0' || length(o.d) || 'd' ELSE '%d' END
             AND printf(k.format, CAST(o.d AS INTEGER)) = NEW.object
        LEFT JOIN audit_rows p ON k.id = 0 AND NEW.action GLOB 'sale.?*'
             AND substr(NEW.detail, 1, instr(NEW.detail, ' ') - 1) = substr(NEW.action, 6)
             AND p.id = (SELECT max(q.id) FROM audit_rows q WHERE q.id >= NEW.id - 16
                         AND q.kind = 0 AND q.object = CAST(o.d AS INTEGER)
                         AND typeof(q.detail) = 'text')
             AND instr(p.detail, ' ') > 0
             AND substr(p.detail, instr(p.detail, ' ')) = substr(NEW.detail, instr(NEW.detail, ' '));
    INSERT OR REPLACE INTO audit_head(one, id, hash) VALUES (1, NEW.id, NEW.hash);
END;


INSERT INTO audit(id, at, user_id, action, object, detail, hash, mac)
    SELECT id, at, user_id, action, object, detail, hash, mac FROM temp.audit_020 ORDER BY id;
DROP TABLE temp.audit_020;

-- Append-only, as the table was (db/001-ledger.sql); the names too.
CREATE TRIGGER audit_rows_no_update BEFORE UPDATE ON audit_rows BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_rows_no_delete BEFORE DELETE ON audit_rows BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_actions_no_update BEFORE UPDATE ON audit_actions BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_kinds_no_update BEFORE UPDATE ON audit_kinds BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- The audit rows a refund of cleared credit reads (db/010-debt-audit.sql),
-- by the fixed numbers of their actions.
CREATE INDEX audit_clears ON audit_rows(kind, object) WHERE action IN (2, 3, 4);

-- db/006-sync.sql's trigger on the compact rows: a sale's object is kind 0.
CREATE TRIGGER sync_state_pushed_sale AFTER UPDATE OF pushed_audit ON sync_state
WHEN NEW.pushed_audit > OLD.pushed_audit
BEGIN
    UPDATE sync_state SET pushed_sale = max(pushed_sale,
        (SELECT coalesce(max(object), 0) FROM audit_rows
         WHERE id > OLD.pushed_audit AND id <= NEW.pushed_audit AND kind = 0))
    WHERE id = 1;
END;

-- A customer's sales by the customer alone (the history sorts its few
-- rows by time; the arrears' sum since a date reads them all the same).
DROP INDEX sales_customer;
CREATE INDEX sales_customer ON sales(customer_id);

-- The reconciliation's covering index (db/005-issued.sql) copied the
-- (meter, seq) key the table's UNIQUE constraint already keeps, plus the
-- state and both cumulatives: about 31 bytes a sale.  The reconciliation
-- reads a meter's sales by that key, and the same table rows its credit
-- check reads anyway (measured: the whole ledger's reconciliation queries
-- about a fifth slower with a warm cache, docs/station.md "Benchmarks").
DROP INDEX sales_reconcile;
