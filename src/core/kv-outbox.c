/* kv-outbox.c - push batches from the ledger, pull replies into it (see
 * kv-outbox.h).  The JSON both ways is written and read by SQLite's own
 * JSON functions: values are escaped and typed by the database that holds
 * them, and a pull is applied by plain SQL over json_each. */
#include "kv-i18n.h"

#include <string.h>

#include "kv-audit-private.h"
#include "kv-db.h"
#include "kv-outbox.h"
#include "kv-payments.h"
#include "kv-test-point.h"

void kv_outbox_batch_free(KvOutboxBatch *b)
{
    if (!b)
        return;
    g_free(b->json);
    g_free(b);
}

/* ---- the push batch ---- */

typedef struct {
    KvStation *st;
    GString *out;
    guint records;
    GHashTable *sales; /* sale ids already in this batch */
} Batch;

static void add_record(Batch *b, const char *json)
{
    if (!json || !*json)
        return;
    g_string_append(b->out, b->records ? ",\n" : "\n");
    g_string_append(b->out, json);
    b->records++;
}

/* One record from a statement whose first column is the record's JSON
 * (nothing if the row is gone). */
static gboolean add_from(Batch *b, KvStmt *s, GError **error)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        add_record(b, (const char *)sqlite3_column_text(s, 0));
    else if (rc != SQLITE_DONE) {
        kv_db_set_error(error, b->st->db, sqlite3_extended_errcode(b->st->db), _("building the push batch"));
        return FALSE;
    }
    return TRUE;
}

/* The record of one row: sql (a static text, the statement's cache key)
 * selects it by ?1 the station and ?2 its id. */
static gboolean add_by_id(Batch *b, const char *sql, gint64 id, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(b->st, sql, error);
    if (!s)
        return FALSE;
    sqlite3_bind_int(s, 1, b->st->settings.station_no);
    sqlite3_bind_int64(s, 2, id);
    return add_from(b, s, error);
}

static gint64 object_id(const char *object, const char *prefix)
{
    gsize n = strlen(prefix);
    return strncmp(object, prefix, n) == 0 ? g_ascii_strtoll(object + n, NULL, 10) : 0;
}

/* "key=VALUE" in an audit detail, or NULL. */
static char *detail_value(const char *detail, const char *key)
{
    g_autofree char *k = g_strdup_printf("%s=", key);
    const char *p = detail;
    while ((p = strstr(p, k))) {
        if (p == detail || p[-1] == ' ') {
            const char *v = p + strlen(k), *e = strchr(v, ' ');
            return e ? g_strndup(v, (gsize)(e - v)) : g_strdup(v);
        }
        p += strlen(k);
    }
    return NULL;
}

static gboolean is_sale_state(const char *s)
{
    for (int i = 0; i < KV_SALE_N_STATES; i++)
        if (strcmp(s, kv_sale_state_name((KvSaleState)i)) == 0)
            return TRUE;
    return FALSE;
}

/* A sale's record: the columns fixed when it was created (its state
 * changes are sale_state records). */
static gboolean add_sale(Batch *b, gint64 sale, GError **error)
{
    if (g_hash_table_contains(b->sales, GINT_TO_POINTER(sale)))
        return TRUE;
    g_hash_table_add(b->sales, GINT_TO_POINTER(sale));
    return add_by_id(b,
        "SELECT json_object('kind', 'sale', 'station', ?1, 'id', id, 'content', json_patch(json_object("
        "'meter', meter_number, 'card', card_serial, 'customer', customer_id, 'tariff', tariff_id, "
        "'cashier', cashier_id, 'shift', shift_id, 'seq', seq, 'amount', amount, "
        "'fixed_charge', fixed_charge, 'debt_recovered', debt_recovered, 'energy_net', energy_net, "
        "'vat', vat, 'energy', energy, 'base_cumulative', base_cumulative, 'cumulative', cumulative, "
        "'blocks', blocks, 'office', office, 'created_at', created_at), "
        /* only a sale with a free allocation names it: the others keep the
         * content they were pushed with */
        "CASE WHEN free_energy > 0 THEN json_object('free_energy', free_energy, 'free_month', "
        "free_month) ELSE json_object() END)) FROM sales WHERE id = ?2", sale, error);
}

/* kind 'sale_state' or 'card_status', keyed by the audit row that
 * recorded the change (a per-station increasing id). */
static gboolean add_event(Batch *b, const char *kind, gint64 audit_id, const char *ref_field,
                          gint64 ref, const char *state_field, const char *state, gint64 at,
                          const char *extra_field, const char *extra, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(b->st,
        "SELECT json_object('kind', ?1, 'station', ?2, 'id', ?3, 'content', "
        "json_object(?4, ?5, ?6, ?7, 'at', ?8, ?9, ?10))", error);
    if (!s)
        return FALSE;
    sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, b->st->settings.station_no);
    sqlite3_bind_int64(s, 3, audit_id);
    sqlite3_bind_text(s, 4, ref_field, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, ref);
    sqlite3_bind_text(s, 6, state_field, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 8, at);
    sqlite3_bind_text(s, 9, extra_field, -1, SQLITE_STATIC);
    if (extra && g_ascii_isdigit(extra[0]))
        sqlite3_bind_int64(s, 10, g_ascii_strtoll(extra, NULL, 10));
    else if (extra)
        sqlite3_bind_text(s, 10, extra, -1, SQLITE_TRANSIENT);
    return add_from(b, s, error);
}

#define CARD_RECORD \
    "SELECT json_object('kind', 'card', 'station', ?1, 'id', serial, 'content', json_object(" \
    "'meter', meter_number, 'type', type, 'status', :issuing, 'replaces', replaces, " \
    "'issued_at', issued_at, 'issued_by', issued_by)) FROM cards WHERE serial = ?2"
#define SHIFT_RECORD \
    "SELECT json_object('kind', 'shift', 'station', ?1, 'id', id, 'content', json_object(" \
    "'cashier', cashier_id, 'opened_at', opened_at, 'closed_at', closed_at, " \
    "'opening_float', opening_float, 'expected_cash', expected_cash, " \
    "'counted_cash', counted_cash)) FROM shifts WHERE id = ?2 AND closed_at IS NOT NULL"
/* A settled refund token of unloaded credit (db/013-unloaded-swap.sql):
 * pushed with the audit row that settled it (its state never changes
 * after), selected by its refund (done) or its own id (aborted). */
#define REFUND_TOKEN_RECORD(key) \
    "SELECT json_object('kind', 'refund_token', 'station', ?1, 'id', id, 'content', json_object(" \
    "'meter', meter_number, 'card', card_serial, 'seq', seq, 'cumulative_before', cumulative_before, " \
    "'cumulative', cumulative, 'state', state, 'refund', refund_id, 'shift', shift_id, 'reason', reason, " \
    "'created_by', created_by, 'created_at', created_at)) FROM refund_tokens WHERE " key " = ?2 " \
    "AND state <> :pending"
/* A meter swap's transfer, by its old meter. */
#define TRANSFER_RECORD \
    "SELECT json_object('kind', 'transfer', 'station', ?1, 'id', id, 'content', json_object(" \
    "'from_meter', from_meter, 'to_meter', to_meter, 'source', source, 'remaining', remaining, " \
    "'unloaded', unloaded, 'energy', energy, 'readback_counter', readback_counter, 'reason', reason, " \
    "'created_by', created_by, 'created_at', created_at)) FROM transfers WHERE from_meter = ?2"

/* The records an audit row stands for, after the row itself. */
static gboolean add_derived(Batch *b, gint64 id, gint64 at, const char *action, const char *object,
                            const char *detail, GError **error)
{
    gint64 sale = object_id(object, "sale:"), card = object_id(object, "card:");

    if (sale && g_str_has_prefix(action, "sale.") && is_sale_state(action + 5)) {
        g_autofree char *cancel_seq = detail_value(detail, "cancel_seq");
        return add_sale(b, sale, error) &&
               add_event(b, "sale_state", id, "sale", sale, "state", action + 5, at, "cancel_seq",
                         cancel_seq, error);
    }
    if (card && (strcmp(action, "card.issuing") == 0 || strcmp(action, "card.engineering-issuing") == 0))
        return add_by_id(b, kv_db_sql_states_kept(CARD_RECORD), card, error);
    if (card && (strcmp(action, "card.issue") == 0 || strcmp(action, "card.replace") == 0 ||
                 strcmp(action, "card.engineering") == 0))
        return add_event(b, "card_status", id, "card", card, "status",
                         kv_card_status_name(KV_CARD_STATUS_ACTIVE), at, "reason", action, error);
    if (card && strcmp(action, "card.block") == 0) {
        g_autofree char *status = detail_value(detail, "status");
        g_autofree char *reason = detail_value(detail, "reason");
        return !status || add_event(b, "card_status", id, "card", card, "status", status, at, "reason",
                                    reason ? reason : "", error);
    }
    if (strcmp(action, "shift.close") == 0 && object_id(object, "shift:"))
        return add_by_id(b, SHIFT_RECORD, object_id(object, "shift:"), error);
    if (strcmp(action, "refund.unloaded") == 0 || strcmp(action, "refund.unloaded-aborted") == 0) {
        gboolean done = strcmp(action, "refund.unloaded") == 0;
        g_autofree char *key = detail_value(detail, done ? "refund" : "token");
        return !key || add_by_id(b, kv_db_sql_states_kept(done ? REFUND_TOKEN_RECORD("refund_id")
                                                                : REFUND_TOKEN_RECORD("id")),
                                 g_ascii_strtoll(key, NULL, 10), error);
    }
    if (strcmp(action, "meter.swap") == 0 && object_id(object, "meter:"))
        return add_by_id(b, TRANSFER_RECORD, object_id(object, "meter:"), error);
    return TRUE;
}

/* Rows of a table pushed by id after a cursor: the records, the last id. */
static gboolean add_rows(Batch *b, KvStmt *s, gint64 after, guint max_rows, gint64 *last,
                         GError **error)
{
    int rc;
    *last = after;
    sqlite3_bind_int(s, 1, b->st->settings.station_no);
    sqlite3_bind_int64(s, 2, after);
    sqlite3_bind_int(s, 3, (int)max_rows);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        *last = sqlite3_column_int64(s, 0);
        add_record(b, (const char *)sqlite3_column_text(s, 1));
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, b->st->db, sqlite3_extended_errcode(b->st->db), _("building the push batch"));
        return FALSE;
    }
    return TRUE;
}

/* An audit row's record: the logical row (kv_audit_iter) with its chain
 * hashes, the same JSON whatever the storage (db/020). */
#define AUDIT_RECORD                                                                               \
    "SELECT json_object('kind', 'audit', 'station', ?1, 'id', ?2, 'content', json_object('at', ?3, " \
    "'user', ?4, 'action', ?5, 'object', ?6, 'detail', ?7, 'prev_hash', lower(hex(?8)), "            \
    "'hash', lower(hex(?9)), 'mac', CASE WHEN ?10 IS NULL THEN NULL ELSE lower(hex(?10)) END))"
/* The rows head office confirmed before this station pushed their records
 * (db/021-push-backlog.sql), pushed again with them: the queue's key and
 * the audit row; ?1 the cursor, ?2 how many. */
#define BACKLOG_ROWS "SELECT q.id, q.audit_id FROM push_backlog q WHERE q.id > ?1 ORDER BY q.id LIMIT ?2"

/* One audit row's record, kept (rows: key, id, at; text: action, object,
 * detail, record) for after the reading. */
static gboolean take_audit_row(Batch *b, KvStmt *s, const KvAuditRow *row, gint64 key, GArray *rows,
                               GPtrArray *text, GError **error)
{
    gint64 v[3] = {key, row->id, row->at};
    sqlite3_bind_int(s, 1, b->st->settings.station_no);
    sqlite3_bind_int64(s, 2, row->id);
    sqlite3_bind_int64(s, 3, row->at);
    if (row->has_user)
        sqlite3_bind_int64(s, 4, row->user_id);
    else
        sqlite3_bind_null(s, 4);
    sqlite3_bind_text(s, 5, row->action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, row->object, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, row->detail, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 8, row->prev_hash, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 9, row->hash, 32, SQLITE_STATIC);
    if (row->mac)
        sqlite3_bind_blob(s, 10, row->mac, 32, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 10);
    if (!kv_db_step_done(b->st, s, _("building the push batch"), error))
        return FALSE;
    g_array_append_vals(rows, v, 3);
    g_ptr_array_add(text, g_strdup(row->action));
    g_ptr_array_add(text, g_strdup(row->object));
    g_ptr_array_add(text, g_strdup(row->detail));
    g_ptr_array_add(text, g_strdup((const char *)sqlite3_column_text(s, 0)));
    sqlite3_reset(s);
    return TRUE;
}

/* The audit rows after the cursor (backlog: the queue's rows after it),
 * each followed by the records it stands for; *first and *last: the keys
 * it carried (first untouched when none). */
static gboolean add_audit_rows(Batch *b, gboolean backlog, gint64 after, guint max_rows, gint64 *first,
                               gint64 *last, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(b->st, AUDIT_RECORD, error);
    g_autoptr(GArray) rows = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GPtrArray) text = g_ptr_array_new_with_free_func(g_free);
    const KvAuditRow *row;
    GError *failed = NULL;

    if (!s)
        return FALSE;
    *last = after;
    /* Read the rows first: the derived records use other statements. */
    if (!backlog) {
        g_autoptr(KvAuditIter) it = kv_audit_iter_new(b->st, after + 1, 0, error);
        if (!it)
            return FALSE;
        while (rows->len / 3 < max_rows && (row = kv_audit_iter_next(it, &failed)))
            if (!take_audit_row(b, s, row, row->id, rows, text, error))
                return FALSE;
    } else {
        g_autoptr(GArray) keys = g_array_new(FALSE, FALSE, sizeof(gint64));
        g_autoptr(KvStmt) q = kv_db_query(b->st, BACKLOG_ROWS, error,
                                          KV_DB_VALUES(KV_INT(after), KV_INT(max_rows)));
        int rc;
        if (!q)
            return FALSE;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            gint64 v[2] = {sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1)};
            g_array_append_vals(keys, v, 2);
        }
        if (rc != SQLITE_DONE) {
            kv_db_set_error(error, b->st->db, sqlite3_extended_errcode(b->st->db), _("building the push batch"));
            return FALSE;
        }
        sqlite3_reset(q);
        for (guint i = 0; !failed && i < keys->len / 2; i++) {
            gint64 id = g_array_index(keys, gint64, 2 * i + 1);
            g_autoptr(KvAuditIter) it = kv_audit_iter_new(b->st, id, id, error);
            if (!it)
                return FALSE;
            if ((row = kv_audit_iter_next(it, &failed)) && row->id == id &&
                !take_audit_row(b, s, row, g_array_index(keys, gint64, 2 * i), rows, text, error))
                return FALSE;
        }
    }
    if (failed) {
        g_propagate_error(error, failed);
        return FALSE;
    }
    for (guint i = 0; i < rows->len / 3; i++) {
        gint64 key = g_array_index(rows, gint64, 3 * i), id = g_array_index(rows, gint64, 3 * i + 1);
        char **t = (char **)text->pdata + 4 * i;
        if (!*first)
            *first = key;
        *last = key;
        add_record(b, t[3]);
        if (!add_derived(b, id, g_array_index(rows, gint64, 3 * i + 2), t[0], t[1], t[2] ? t[2] : "", error))
            return FALSE;
    }
    return TRUE;
}

/* The streams of push_cursors, in its order: each statement takes ?1 the
 * station, ?2 the cursor, ?3 how many rows (the payment's ?4: the payment
 * types' keys, a JSON array by number).  Immutable columns only:
 * credit_clears.refunded changes, so it is not in the record. */
static const struct {
    const char *stream, *sql;
} streams[KV_OUTBOX_STREAMS] = {
    {"payment", "SELECT id, json_object('kind', 'payment', 'station', ?1, 'id', id, 'content', json_object("
                "'payment', json_extract(?4, '$[' || payment || ']'), 'reference', payment_ref)) "
                "FROM sales WHERE id > ?2 ORDER BY id LIMIT ?3"},
    {"debt", "SELECT id, json_object('kind', 'debt_movement', 'station', ?1, 'id', id, 'content', json_object("
             "'customer', customer_id, 'at', at, 'kind', kind, 'amount', amount, 'sale', sale_id, "
             "'user', user_id, 'reason', reason, 'settlement', settlement)) "
             "FROM debt_movements WHERE id > ?2 ORDER BY id LIMIT ?3"},
    {"refund", "SELECT id, json_object('kind', 'refund', 'station', ?1, 'id', id, 'content', json_object("
               "'meter', meter_number, 'shift', shift_id, 'kind', kind, 'energy', energy, 'amount', amount, "
               "'reason', reason, 'created_by', created_by, 'created_at', created_at, 'parts', "
               "json((SELECT json_group_array(json_object('sale', p.sale_id, 'energy', p.energy, "
               "'amount', p.amount)) FROM (SELECT * FROM refund_parts WHERE refund_id = refunds.id "
               "ORDER BY sale_id) p)))) FROM refunds WHERE id > ?2 ORDER BY id LIMIT ?3"},
    {"clear", "SELECT id, json_object('kind', 'credit_clear', 'station', ?1, 'id', id, 'content', json_object("
              "'meter', meter_number, 'card', card_serial, 'token_seq', token_seq, "
              "'readback_counter', readback_counter, 'cleared_total', cleared_total, 'amount', amount, "
              "'recorded_at', recorded_at)) FROM credit_clears WHERE id > ?2 ORDER BY id LIMIT ?3"},
};

/* The payment types' keys by number, as a JSON array. */
static char *payment_keys(void)
{
    GString *g = g_string_new("[");
    for (int t = 0; t < KV_PAYMENT_N_TYPES; t++)
        g_string_append_printf(g, "%s\"%s\"", t ? "," : "", kv_payment_key((KvPaymentType)t));
    g_string_append_c(g, ']');
    return g_string_free(g, FALSE);
}

/* The records of every stream after its cursor (read in the batch's
 * transaction). */
static gboolean add_streams(Batch *b, guint max_rows, KvOutboxBatch *r, GError **error)
{
    g_autofree char *keys = payment_keys();
    for (guint i = 0; i < KV_OUTBOX_STREAMS; i++) {
        g_autoptr(KvStmt) s = kv_db_stmt(b->st, streams[i].sql, error);
        g_autoptr(KvStmt) cur = s ? kv_db_query(b->st, "SELECT pushed FROM push_cursors WHERE stream = ?", error,
                                                KV_DB_VALUES(KV_TEXT(streams[i].stream))) : NULL;
        gint64 after;
        if (!cur || !kv_db_step_done(b->st, cur, _("reading the sync state"), error))
            return FALSE;
        after = sqlite3_column_int64(cur, 0);
        if (sqlite3_bind_parameter_count(s) >= 4)
            sqlite3_bind_text(s, 4, keys, -1, SQLITE_STATIC);
        if (!add_rows(b, s, after, max_rows, &r->last_stream[i], error))
            return FALSE;
    }
    return TRUE;
}

KvOutboxBatch *kv_outbox_next(KvStation *st, guint max_rows, GError **error)
{
    g_autoptr(KvOutboxBatch) r = g_new0(KvOutboxBatch, 1);
    g_autoptr(KvStmt) cur = NULL, rb = NULL, eng = NULL;
    Batch b = {st, g_string_new("["), 0, g_hash_table_new(NULL, NULL)};
    g_auto(KvTxn) txn = KV_TXN_INIT;
    gint64 pushed_audit = 0, pushed_reading = 0, pushed_engineering = 0, backlog_first = 0;
    gboolean ok;

    /* One read transaction: the rows and the cursors of one moment. */
    ok = kv_txn_begin_read(&txn, st, error);
    cur = ok ? kv_db_stmt(st, "SELECT pushed_audit, pushed_reading, pushed_engineering FROM sync_state",
                          error) : NULL;
    if ((ok = cur && sqlite3_step(cur) == SQLITE_ROW)) {
        pushed_audit = sqlite3_column_int64(cur, 0);
        pushed_reading = sqlite3_column_int64(cur, 1);
        pushed_engineering = sqlite3_column_int64(cur, 2);
        sqlite3_reset(cur);
    } else if (cur) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading the sync state"));
    }
    ok = ok && add_audit_rows(&b, FALSE, pushed_audit, max_rows, &r->first_audit, &r->last_audit, error);
    rb = ok ? kv_db_stmt(st,
        "SELECT id, json_object('kind', 'readback', 'station', ?1, 'id', id, 'content', json_object("
        "'meter', meter_number, 'card', card_serial, 'counter', counter, 'last_seq', last_seq, "
        "'read_at', read_at, 'status', status, 'key_version', key_version, 'remaining', remaining, "
        "'cumulative_loaded', cumulative_loaded, 'total_energy', total_energy, 'energy_l1', energy_l1, "
        "'energy_l2', energy_l2, 'energy_l3', energy_l3, 'result', result, 'events', lower(hex(events)), "
        "'sold_then', sold_then)) FROM meter_readings WHERE id > ?2 ORDER BY id LIMIT ?3", error) : NULL;
    ok = ok && rb && add_rows(&b, rb, pushed_reading, max_rows, &r->last_reading, error);
    eng = ok ? kv_db_stmt(st,
        "SELECT id, json_object('kind', 'engineering_token', 'station', ?1, 'id', id, 'content', "
        "json_object('meter', meter_number, 'card', card_serial, 'kind', kind, 'seq', seq, "
        "'key_version', key_version, 'alarm_level', alarm_level, 'pretrip_level', pretrip_level, "
        "'hoarding_limit', hoarding_limit, 'max_power', max_power, 'reconnect_delay', reconnect_delay, "
        "'new_key_version', new_key_version, 'issued_at', issued_at, 'issued_by', issued_by)) "
        "FROM engineering_tokens WHERE id > ?2 ORDER BY id LIMIT ?3", error) : NULL;
    ok = ok && eng && add_rows(&b, eng, pushed_engineering, max_rows, &r->last_engineering, error);
    ok = ok && add_streams(&b, max_rows, r, error);
    ok = ok && add_audit_rows(&b, TRUE, 0, max_rows, &backlog_first, &r->last_backlog, error);
    kv_txn_rollback(&txn); /* it read only */
    g_hash_table_unref(b.sales);
    g_string_append(b.out, "\n]");
    if (!ok) {
        g_string_free(b.out, TRUE);
        return NULL;
    }
    r->records = b.records;
    r->json = b.records ? g_string_free(b.out, FALSE) : (g_string_free(b.out, TRUE), NULL);
    return g_steal_pointer(&r);
}

/* ---- replies ---- */

/* Fields of a JSON reply, read by SQLite: paths[i] -> out[i] (NULL when
 * absent).  A reply that is no JSON object is an error. */
static gboolean reply_fields(KvStation *st, const char *reply, const char *const *paths, char **out,
                             GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT json_type(?1) = 'object', json_extract(?1, ?2)", NULL);
    for (gsize i = 0; paths[i]; i++) {
        int rc;
        out[i] = NULL;
        if (!s)
            break;
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, reply, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, paths[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW || !sqlite3_column_int(s, 0)) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("head office's reply is not a JSON object: %.60s"), reply);
            return FALSE;
        }
        if (sqlite3_column_type(s, 1) != SQLITE_NULL)
            out[i] = g_strdup((const char *)sqlite3_column_text(s, 1));
    }
    return s != NULL;
}

static void free_fields(char **v, gsize n)
{
    for (gsize i = 0; i < n; i++)
        g_free(v[i]);
}

/* The sync stops with an alarm: stored, and audited once. */
static gboolean raise_conflict(KvStation *st, const char *message, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvStmt) s = NULL;
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    if (kv_db_int(st, "SELECT conflict IS NOT NULL FROM sync_state", 0))
        return kv_txn_commit(&txn, error);
    s = kv_db_stmt(st, "UPDATE sync_state SET conflict = ?, last_attempt_at = ?", error);
    if (!s)
        return FALSE;
    sqlite3_bind_text(s, 1, message, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, kv_now());
    return kv_db_step_done(st, s, _("recording the sync state"), error) &&
           kv_audit_commit(&txn, "sync.conflict", "sync", message, error);
}

gboolean kv_outbox_pushed(KvStation *st, const KvOutboxBatch *b, const char *reply, KvOutboxPush *result,
                          char **message, GError **error)
{
    static const char *const paths[] = {"$.status", "$.message", NULL};
    char *v[2];
    g_autoptr(KvStmt) s = NULL;

    *message = NULL;
    if (!reply_fields(st, reply, paths, v, error))
        return FALSE;
    if (g_strcmp0(v[0], "ok") != 0) {
        gboolean conflict = g_strcmp0(v[0], "conflict") == 0;
        if (!conflict && g_strcmp0(v[0], "stopped") != 0) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("head office replied with status \"%s\""), v[0] ? v[0] : "");
            free_fields(v, 2);
            return FALSE;
        }
        *result = conflict ? KV_OUTBOX_PUSH_CONFLICT : KV_OUTBOX_PUSH_STOPPED;
        *message = g_strdup_printf(conflict ? _("head office refused a record: %s")
                                            : _("head office has stopped this station's sync: %s"),
                                   v[1] ? v[1] : "");
        free_fields(v, 2);
        return raise_conflict(st, *message, error);
    }
    free_fields(v, 2);
    *result = KV_OUTBOX_PUSH_OK;
    /* Head office has committed the batch; a crash here loses only the
     * cursors, and the next push of the same records is a no-op. */
    kv_test_point("sync-after-commit");
    s = kv_db_stmt(st, "UPDATE sync_state SET pushed_audit = max(pushed_audit, ?), "
                       "pushed_reading = max(pushed_reading, ?), "
                       "pushed_engineering = max(pushed_engineering, ?), "
                       "joined_at = coalesce(joined_at, ?4), last_push_at = ?4", error);
    if (!s)
        return FALSE;
    sqlite3_bind_int64(s, 1, b->last_audit);
    sqlite3_bind_int64(s, 2, b->last_reading);
    sqlite3_bind_int64(s, 3, b->last_engineering);
    sqlite3_bind_int64(s, 4, kv_now());
    if (!kv_db_step_done(st, s, _("recording the sync state"), error))
        return FALSE;
    for (guint i = 0; i < KV_OUTBOX_STREAMS; i++)
        if (!kv_db_run(st, "UPDATE push_cursors SET pushed = max(pushed, ?) WHERE stream = ?",
                       _("recording the sync state"), error,
                       KV_DB_VALUES(KV_INT(b->last_stream[i]), KV_TEXT(streams[i].stream))))
            return FALSE;
    return kv_db_run(st, "DELETE FROM push_backlog WHERE id <= ?", _("recording the sync state"), error,
                     KV_DB_VALUES(KV_INT(b->last_backlog)));
}

char *kv_outbox_pull_cursor(KvStation *st, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT pull_cursor FROM sync_state", error);
    if (!s)
        return NULL;
    return sqlite3_step(s) == SQLITE_ROW ? kv_db_col_text(s, 0) : g_strdup("");
}

/* The end of a round: a success (message NULL) or the link's failure.  One
 * statement: atomic without a transaction of its own. */
static gboolean round_end(KvStation *st, const char *message, GError **error)
{
    g_autoptr(KvStmt) s = message
        ? kv_db_stmt(st, "UPDATE sync_state SET last_attempt_at = ?1, last_error = ?2, "
                         "offline_since = coalesce(offline_since, ?1)", error)
        : kv_db_stmt(st, "UPDATE sync_state SET last_attempt_at = ?1, last_success_at = ?1, "
                         "last_error = NULL, offline_since = NULL, joined_at = coalesce(joined_at, ?1)",
                     error);
    if (!s)
        return FALSE;
    sqlite3_bind_int64(s, 1, kv_now());
    if (message)
        sqlite3_bind_text(s, 2, message, -1, SQLITE_TRANSIENT);
    return kv_db_step_done(st, s, _("recording the sync state"), error);
}

gboolean kv_outbox_failed(KvStation *st, const char *message, GError **error)
{
    return round_end(st, message, error);
}

gboolean kv_outbox_succeeded(KvStation *st, GError **error)
{
    return round_end(st, NULL, error);
}

/* ---- the pull reply ---- */

/* Card statuses by restriction, as head office merges them. */
#define RANK(x) "CASE " x " WHEN :issuing THEN 1 WHEN :active THEN 2 WHEN :replaced THEN 3 " \
                "WHEN :lost THEN 4 WHEN :failed THEN 5 WHEN :blocked THEN 6 ELSE 0 END"
#define J(f) "json_extract(j.value, '$." f "')"

/* Each statement takes ?1 the reply, ?2 now, ?3 this station's number,
 * and names card statuses :active, ... (kv_db_sql_states);
 * counted: rows changed count as master data (m), meter state (s) or
 * cards (c). */
static const struct {
    char what;
    const char *sql;
} pull_steps[] = {
    {'m', "INSERT INTO users(id, login, full_name, role, pw_hash, active, created_at) "
          "SELECT CASE WHEN EXISTS (SELECT 1 FROM users u WHERE u.id = " J("id") ") THEN NULL "
          "ELSE " J("id") " END, " J("login") ", " J("full_name") ", " J("role") ", " J("pw_hash") ", "
          J("active") ", " J("created_at") " FROM json_each(?1, '$.users') j WHERE ?2 IS NOT NULL AND ?3 IS NOT NULL "
          "ON CONFLICT(login) DO UPDATE SET full_name = excluded.full_name, role = excluded.role, "
          "pw_hash = excluded.pw_hash, active = excluded.active"},
    /* A customer's debt is not taken as a figure: it changes only through
     * its movements, and the settlement below books the difference. */
    {'m', "INSERT INTO customers(id, account, name, address, phone, created_at) "
          "SELECT " J("id") ", " J("account") ", " J("name") ", " J("address") ", " J("phone") ", "
          J("created_at") " FROM json_each(?1, '$.customers') j WHERE ?2 IS NOT NULL AND ?3 IS NOT NULL "
          "ON CONFLICT(id) DO UPDATE SET account = excluded.account, name = excluded.name, "
          "address = excluded.address, phone = excluded.phone"},
    /* Debt settled across offices (docs/multi-office.md, "Debt across
     * offices"): head office's balance counts this station's movements up
     * to station.debt_head; the balance here is that plus this station's
     * movements after it (not pushed yet), never below zero.  The
     * difference is a visible 'adjusted' movement marked settlement, which
     * head office does not count again.  A head office that does not
     * settle (no debt_head) leaves the debts alone. */
    {'d', "INSERT INTO debt_movements(customer_id, at, kind, amount, reason, settlement) "
          "SELECT c.id, ?2, 'adjusted', t.target - c.debt, 'head office settlement: the balance across offices', 1 "
          "FROM (SELECT " J("id") " AS id, max(0, " J("debt") " + coalesce((SELECT sum(d.amount) "
          "FROM debt_movements d WHERE d.customer_id = " J("id") " AND d.settlement = 0 AND "
          "d.id > json_extract(?1, '$.station.debt_head')), 0)) AS target FROM json_each(?1, '$.customers') j "
          "WHERE json_extract(?1, '$.station.debt_head') IS NOT NULL) t "
          "JOIN customers c ON c.id = t.id WHERE t.target <> c.debt AND ?3 IS NOT NULL"},
    {'m', "INSERT INTO tariffs(code, name, effective_from, vat_bp, fixed_monthly, debt_bp, created_at) "
          "SELECT " J("code") ", coalesce((SELECT json_extract(t.value, '$.name') FROM "
          "json_each(?1, '$.tariffs') t WHERE json_extract(t.value, '$.code') = " J("code") "), "
          "(SELECT x.name FROM tariffs x WHERE x.code = " J("code") " LIMIT 1), ''), "
          J("effective_from") ", " J("vat_bp") ", " J("fixed_monthly") ", " J("debt_bp") ", "
          J("created_at") " FROM json_each(?1, '$.tariff_versions') j WHERE ?2 IS NOT NULL AND ?3 IS NOT NULL "
          "ON CONFLICT(code, effective_from) DO UPDATE SET name = excluded.name, "
          "vat_bp = excluded.vat_bp, fixed_monthly = excluded.fixed_monthly, debt_bp = excluded.debt_bp"},
    {0, "DELETE FROM tariff_blocks WHERE ?2 IS NOT NULL AND ?3 IS NOT NULL AND tariff_id IN (SELECT t.id FROM tariffs t, "
        "json_each(?1, '$.tariff_versions') j WHERE t.code = " J("code") " AND t.effective_from = "
        J("effective_from") ")"},
    {0, "INSERT INTO tariff_blocks(tariff_id, n, upto, price_e4) SELECT t.id, b.key + 1, "
        "json_extract(b.value, '$.upto'), json_extract(b.value, '$.price_e4') "
        "FROM json_each(?1, '$.tariff_versions') j JOIN tariffs t ON t.code = " J("code") " AND "
        "t.effective_from = " J("effective_from") ", json_each(j.value, '$.blocks') b WHERE ?2 IS NOT NULL AND ?3 IS NOT NULL"},
    {'m', "UPDATE tariffs SET name = " J("name") " FROM json_each(?1, '$.tariffs') j "
          "WHERE tariffs.code = " J("code") " AND tariffs.name <> " J("name") " AND ?2 IS NOT NULL AND ?3 IS NOT NULL"},
    {'m', "INSERT INTO meters(number, customer_id, model, phases, address, tariff_code, status, "
          "key_version, psc_key_version, key_version_target, alarm_level, pretrip_level, "
          "hoarding_limit, max_power, meter_constant, reconnect_delay, created_at) "
          "SELECT " J("number") ", " J("customer_id") ", " J("model") ", " J("phases") ", "
          J("address") ", " J("tariff_code") ", " J("status") ", " J("key_version") ", "
          J("psc_key_version") ", " J("key_version_target") ", " J("alarm_level") ", "
          J("pretrip_level") ", " J("hoarding_limit") ", " J("max_power") ", " J("meter_constant") ", "
          J("reconnect_delay") ", " J("created_at") " FROM json_each(?1, '$.meters') j WHERE ?2 IS NOT NULL AND ?3 IS NOT NULL "
          "ON CONFLICT(number) DO UPDATE SET customer_id = excluded.customer_id, model = excluded.model, "
          "phases = excluded.phases, address = excluded.address, tariff_code = excluded.tariff_code, "
          "status = excluded.status, key_version = max(key_version, excluded.key_version), "
          "psc_key_version = excluded.psc_key_version, "
          "key_version_target = coalesce(excluded.key_version_target, key_version_target), "
          "alarm_level = excluded.alarm_level, pretrip_level = excluded.pretrip_level, "
          "hoarding_limit = excluded.hoarding_limit, max_power = excluded.max_power, "
          "meter_constant = excluded.meter_constant, reconnect_delay = excluded.reconnect_delay"},
    /* Utility-wide settings only: the station's own (station_no, keys,
     * PSC, issuer) never come from head office. */
    {'m', "INSERT INTO settings(key, value) SELECT " J("key") ", " J("value") " "
          "FROM json_each(?1, '$.settings') j WHERE " J("key") " IN ('utility_name', "
          "'max_sale_amount', 'max_sale_energy') AND ?2 IS NOT NULL AND ?3 IS NOT NULL "
          "ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE value <> excluded.value"},
    {'m', "UPDATE settings SET value = json_extract(?1, '$.station.office') WHERE key = 'office_id' "
          "AND json_extract(?1, '$.station.office') IS NOT NULL "
          "AND value <> CAST(json_extract(?1, '$.station.office') AS TEXT) AND ?2 IS NOT NULL AND ?3 IS NOT NULL"},
    {'s', "INSERT INTO meter_remote(meter_number, max_seq, sold_energy, sold_amount, sold_count, "
          "rb_station, rb_counter, rb_last_seq, rb_cumulative_loaded, pulled_at) "
          "SELECT " J("meter_number") ", " J("max_seq") ", " J("sold_energy") ", " J("sold_amount") ", "
          J("sold_count") ", " J("rb_station") ", " J("rb_counter") ", " J("rb_content.last_seq") ", "
          J("rb_content.cumulative_loaded") ", ?2 FROM json_each(?1, '$.meter_state') j WHERE ?3 IS NOT NULL "
          "ON CONFLICT(meter_number) DO UPDATE SET max_seq = max(max_seq, excluded.max_seq), "
          "sold_energy = excluded.sold_energy, sold_amount = excluded.sold_amount, "
          "sold_count = excluded.sold_count, rb_station = excluded.rb_station, "
          "rb_counter = excluded.rb_counter, rb_last_seq = excluded.rb_last_seq, "
          "rb_cumulative_loaded = excluded.rb_cumulative_loaded, pulled_at = excluded.pulled_at"},
    /* What the other stations sold each meter this month and the month
     * before (head office's kv.meter_month): the month's blocks across
     * offices.  This station's own row is never taken: its sales are here. */
    {0, "INSERT INTO month_blocks_remote(meter_number, month, station_no, energy, fixed_paid, pulled_at) "
        "SELECT " J("meter_number") ", " J("month") ", " J("station_no") ", " J("energy") ", " J("fixed_paid")
        ", ?2 FROM json_each(?1, '$.month_blocks') j WHERE " J("station_no") " <> ?3 "
        "ON CONFLICT(meter_number, month, station_no) DO UPDATE SET energy = excluded.energy, "
        "fixed_paid = excluded.fixed_paid, pulled_at = excluded.pulled_at"},
    /* A card any office reported replaced, lost, failed or blocked takes
     * that status here too (the most restrictive wins), before the other
     * offices' cards come in: a replacement made elsewhere is then the
     * meter's one active card. */
    {'c', "UPDATE cards SET status = " J("status") ", status_reason = 'reported by station ' || "
          J("station_no") " FROM json_each(?1, '$.card_state') j WHERE cards.serial = " J("serial") " "
          "AND " J("status") " IN (:replaced, :lost, :failed, :blocked) "
          "AND " RANK(J("status")) " > " RANK("cards.status") " AND ?2 IS NOT NULL AND ?3 IS NOT NULL"},
    {'c', "INSERT OR IGNORE INTO cards(serial, meter_number, type, status, issue_step, issued_at) "
          "SELECT " J("serial") ", " J("meter_number") ", " J("type") ", " J("status") ", :done, ?2 "
          "FROM json_each(?1, '$.card_state') j WHERE " J("station_no") " IS NOT NULL AND "
          J("station_no") " <> ?3 AND " J("status") " <> :issuing AND "
          "EXISTS (SELECT 1 FROM meters m WHERE m.number = " J("meter_number") ") "
          "ORDER BY " RANK(J("status")) " DESC"},
    {0, "UPDATE sync_state SET pull_cursor = coalesce(json_extract(?1, '$.cursor'), pull_cursor), "
        "offline_hours = coalesce(json_extract(?1, '$.station.offline_hours'), offline_hours), "
        "offline_money = coalesce(json_extract(?1, '$.station.offline_money'), offline_money), "
        "centre_head = json_extract(?1, '$.station.audit_head'), last_pull_at = ?2, "
        "joined_at = coalesce(joined_at, ?2), "
        "conflict = CASE WHEN json_extract(?1, '$.station.sync_state') = 'ok' THEN NULL "
        "ELSE coalesce(conflict, 'head office has stopped this station''s sync (' || "
        "json_extract(?1, '$.station.open_conflicts') || ' open conflicts)') END WHERE ?3 IS NOT NULL"},
};

static char *centre_head_of(KvStation *st)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT centre_head FROM sync_state", NULL);
    return s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL
               ? kv_db_col_text(s, 0) : NULL;
}

/* The head office's copy of this ledger's audit chain ends at
 * centre_head: this ledger must still hold that row with that hash.  If it
 * does, the push cursor is at least there (a crash after head office
 * committed and before the cursor was saved loses nothing); if not, the
 * ledger is behind (restored from a backup) or forked (rewritten), and
 * selling stops until `sync recover`. */
static gboolean check_centre_head(KvStation *st, GError **error)
{
    g_autofree char *head = NULL;
    g_autofree char *why = NULL;
    gint64 n;
    const char *hex;

    head = centre_head_of(st);
    n = head ? g_ascii_strtoll(head, NULL, 10) : 0;
    hex = head ? strchr(head, '-') : NULL;

    if (n <= 0 || !hex)
        return TRUE;
    {
        guint8 hash[32];
        g_autofree char *ours = NULL;
        GError *failed = NULL;
        if (!kv_audit_hash_of(st, n, hash, &failed)) {
            if (failed) {
                g_propagate_error(error, failed);
                return FALSE;
            }
            why = g_strdup_printf(_("head office holds this station's audit rows up to %" PRId64
                                    " and this ledger ends at %" PRId64 ": it is behind"),
                                  n, kv_db_int(st, "SELECT coalesce(max(id), 0) FROM audit_rows", 0));
        } else if (g_strcmp0((ours = kv_audit_hex(hash)), hex + 1) != 0) {
            why = g_strdup_printf(_("audit row %" PRId64 " differs from head office's copy: "
                                    "the ledger forked"), n);
        }
    }
    if (why) {
        g_autoptr(KvStmt) u = kv_db_stmt(st, "UPDATE sync_state SET recover = ? WHERE recover IS NULL",
                                         error);
        if (!u)
            return FALSE;
        sqlite3_bind_text(u, 1, why, -1, SQLITE_TRANSIENT);
        return kv_db_step_done(st, u, _("recording the sync state"), error) &&
               (sqlite3_changes(st->db) == 0 || kv_audit_append(st, "sync.recover-needed", "sync", why, error));
    }
    {
        g_autoptr(KvStmt) u = kv_db_stmt(st, "UPDATE sync_state SET pushed_audit = ? WHERE pushed_audit < ?",
                                         error);
        if (!u)
            return FALSE;
        sqlite3_bind_int64(u, 1, n);
        sqlite3_bind_int64(u, 2, n);
        return kv_db_step_done(st, u, _("recording the sync state"), error);
    }
}

gboolean kv_outbox_apply_pull(KvStation *st, const char *reply, KvOutboxPull *out, GError **error)
{
    static const char *const paths[] = {"$.cursor", "$.reset", NULL};
    g_auto(KvTxn) txn = KV_TXN_INIT;
    char *v[2];
    gint64 moves_before;

    memset(out, 0, sizeof *out);
    if (!reply_fields(st, reply, paths, v, error))
        return FALSE;
    out->reset = g_strcmp0(v[1], "1") == 0;
    if (!v[0]) {
        free_fields(v, 2);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("head office's pull reply has no cursor"));
        return FALSE;
    }
    free_fields(v, 2);
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    moves_before = kv_db_int(st, "SELECT coalesce(max(id), 0) FROM debt_movements", 0);
    for (gsize i = 0; i < G_N_ELEMENTS(pull_steps); i++) {
        sqlite3_stmt *s = NULL;
        g_autofree char *sql = kv_db_sql_states(pull_steps[i].sql);
        int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(s, 1, reply, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, kv_now());
            sqlite3_bind_int(s, 3, st->settings.station_no);
            rc = sqlite3_step(s);
        }
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
            kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("applying head office's data"));
            return FALSE;
        }
        if (pull_steps[i].what == 'm')
            out->master += (guint)sqlite3_changes(st->db);
        else if (pull_steps[i].what == 's')
            out->meters += (guint)sqlite3_changes(st->db);
        else if (pull_steps[i].what == 'c')
            out->cards += (guint)sqlite3_changes(st->db);
        else if (pull_steps[i].what == 'd')
            out->settled += (guint)sqlite3_changes(st->db);
    }
    /* each settlement is a movement like any other: its own audit row */
    if (!check_centre_head(st, error) ||
        (out->settled && !kv_audit_debt_movements_after(st, moves_before, error)))
        return FALSE;
    if (out->master || out->settled) {
        g_autofree char *d = g_strdup_printf("master=%u meters=%u cards=%u settled=%u", out->master,
                                             out->meters, out->cards, out->settled);
        if (!kv_audit_append(st, "sync.pull", "sync", d, error))
            return FALSE;
    }
    /* Everything of the reply is applied but not committed: a crash here
     * leaves the ledger as it was, and the next pull starts from the old
     * cursor. */
    kv_test_point("sync-mid-pull");
    return kv_txn_commit(&txn, error);
}

/* ---- recovery ---- */

#define R(f) "json_extract(r.value, '$.content." f "')"
/* The latest state head office holds for a sale (?1 the reply). */
#define LATEST_STATE(sale, f) "(SELECT json_extract(x.value, '$.content." f "') FROM " \
    "json_each(?1, '$.sale_states') x WHERE json_extract(x.value, '$.content.sale') = " sale " " \
    "ORDER BY json_extract(x.value, '$.id') DESC LIMIT 1)"
#define LATEST_CARD_STATUS(card) "(SELECT json_extract(x.value, '$.content.status') FROM " \
    "json_each(?1, '$.card_statuses') x WHERE json_extract(x.value, '$.content.card') = " card " " \
    "ORDER BY json_extract(x.value, '$.id') DESC LIMIT 1)"

/* The rows of one kind head office holds (its key in the reply) that the
 * ledger lacks, with their ids: cols and values after the id. */
#define TAKE_BACK(table, cols, key, values) \
    "INSERT OR IGNORE INTO " table "(id, " cols ") SELECT json_extract(r.value, '$.id'), " values " " \
    "FROM json_each(?1, '$." key "') r WHERE ?2 IS NOT NULL"

/* A transfer of the reply the ledger lacks (r its row). */
#define NEW_TRANSFER "NOT EXISTS (SELECT 1 FROM transfers x WHERE x.id = json_extract(r.value, '$.id'))"
/* The sequence of a meter's newest settled refund token, or 0. */
#define LAST_REFUND_SEQ "coalesce((SELECT max(t.seq) FROM refund_tokens t WHERE t.meter_number = meters.number " \
    "AND t.state = :done), 0)"

/* Each takes ?1 the reply of kv_api.recover, ?2 the fork point (the last
 * audit row both copies share); the sale states it names are written in
 * by kv_db_sql_states.  Rows already in the ledger stay. */
static const char *const recover_steps[] = {
    /* the compact storage of db/020: rows after the fork, their kept
     * hashes and a head past it go; the view's trigger writes head office's
     * rows back (and their checkpoints and head) */
    "DROP TRIGGER audit_rows_no_delete",
    "DROP TRIGGER audit_checkpoints_no_delete",
    "DELETE FROM audit_rows WHERE id > ?2 AND ?1 IS NOT NULL",
    "DELETE FROM audit_checkpoints WHERE id > ?2 AND ?1 IS NOT NULL",
    "DELETE FROM audit_head WHERE id > ?2 AND ?1 IS NOT NULL",
    "CREATE TRIGGER audit_rows_no_delete BEFORE DELETE ON audit_rows BEGIN "
    "SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN "
    "SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "INSERT INTO audit(id, at, user_id, action, object, detail, hash, mac) "
    "SELECT json_extract(r.value, '$.id'), " R("at") ", " R("user") ", " R("action") ", " R("object") ", "
    R("detail") ", kv_unhex(" R("hash") "), kv_unhex(" R("mac") ") "
    "FROM json_each(?1, '$.audit') r WHERE json_extract(r.value, '$.id') > ?2 ORDER BY json_extract(r.value, '$.id')",
    TAKE_BACK("shifts", "cashier_id, opened_at, closed_at, opening_float, expected_cash, counted_cash", "shifts",
              R("cashier") ", " R("opened_at") ", " R("closed_at") ", coalesce(" R("opening_float") ", 0), "
              R("expected_cash") ", " R("counted_cash")),
    /* A shift still open when the ledger was lost was never pushed: it is
     * closed here at its last sale, for the sales that name it. */
    "INSERT OR IGNORE INTO shifts(id, cashier_id, opened_at, closed_at) "
    "SELECT " R("shift") ", " R("cashier") ", min(" R("created_at") "), max(" R("created_at") ") "
    "FROM json_each(?1, '$.sales') r WHERE ?2 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM shifts s "
    "WHERE s.id = " R("shift") ") GROUP BY " R("shift"),
    "INSERT OR IGNORE INTO cards(serial, meter_number, type, status, issue_step, replaces, issued_at, issued_by) "
    "SELECT json_extract(r.value, '$.id'), " R("meter") ", " R("type") ", "
    "coalesce(" LATEST_CARD_STATUS("json_extract(r.value, '$.id')") ", " R("status") "), "
    "CASE WHEN coalesce(" LATEST_CARD_STATUS("json_extract(r.value, '$.id')") ", " R("status") ") = :issuing "
    "THEN :reserved ELSE :done END, " R("replaces") ", " R("issued_at") ", " R("issued_by") " "
    "FROM json_each(?1, '$.cards') r WHERE ?2 IS NOT NULL",
    "UPDATE cards SET status = x.status FROM (SELECT json_extract(c.value, '$.content.card') AS serial, "
    "json_extract(c.value, '$.content.status') AS status FROM json_each(?1, '$.card_statuses') c "
    "WHERE json_extract(c.value, '$.id') > ?2 ORDER BY json_extract(c.value, '$.id')) x "
    "WHERE cards.serial = x.serial",
    "INSERT OR IGNORE INTO sales(id, meter_number, customer_id, card_serial, tariff_id, cashier_id, shift_id, "
    "state, created_at, updated_at, amount, fixed_charge, debt_recovered, energy_net, vat, energy, blocks, "
    "office, seq, base_cumulative, cumulative, cancel_seq, card_write_at) "
    "SELECT json_extract(r.value, '$.id'), " R("meter") ", " R("customer") ", " R("card") ", " R("tariff") ", "
    R("cashier") ", " R("shift") ", " LATEST_STATE("json_extract(r.value, '$.id')", "state") ", "
    R("created_at") ", coalesce(" LATEST_STATE("json_extract(r.value, '$.id')", "at") ", " R("created_at") "), "
    R("amount") ", " R("fixed_charge") ", " R("debt_recovered") ", " R("energy_net") ", " R("vat") ", "
    R("energy") ", " R("blocks") ", " R("office") ", " R("seq") ", " R("base_cumulative") ", " R("cumulative") ", "
    "CASE WHEN " LATEST_STATE("json_extract(r.value, '$.id')", "state") " IN (:cancelling, :cancelled) THEN "
    LATEST_STATE("json_extract(r.value, '$.id')", "cancel_seq") " END, "
    "CASE WHEN " LATEST_STATE("json_extract(r.value, '$.id')", "state") " IN (:pending, :failed) THEN NULL "
    "ELSE " R("created_at") " END "
    "FROM json_each(?1, '$.sales') r WHERE ?2 IS NOT NULL",
    "UPDATE sales SET state = x.state, updated_at = x.at, "
    "cancel_seq = CASE WHEN x.state IN (:cancelling, :cancelled) THEN x.cancel_seq END, "
    "card_write_at = CASE WHEN x.state IN (:issued, :void) THEN coalesce(card_write_at, x.at) "
    "ELSE card_write_at END "
    "FROM (SELECT json_extract(c.value, '$.content.sale') AS sale, json_extract(c.value, '$.content.state') AS state, "
    "json_extract(c.value, '$.content.at') AS at, json_extract(c.value, '$.content.cancel_seq') AS cancel_seq "
    "FROM json_each(?1, '$.sale_states') c WHERE json_extract(c.value, '$.id') > ?2 "
    "ORDER BY json_extract(c.value, '$.id')) x WHERE sales.id = x.sale",
    TAKE_BACK("meter_readings", "meter_number, card_serial, read_at, counter, status, key_version, remaining, "
              "cumulative_loaded, total_energy, energy_l1, energy_l2, energy_l3, last_seq, result, events, sold_then",
              "readbacks", R("meter") ", " R("card") ", " R("read_at") ", " R("counter") ", " R("status") ", "
              R("key_version") ", " R("remaining") ", " R("cumulative_loaded") ", " R("total_energy") ", "
              R("energy_l1") ", " R("energy_l2") ", " R("energy_l3") ", " R("last_seq") ", " R("result") ", "
              "coalesce(kv_unhex(" R("events") "), x''), " R("sold_then")),
    TAKE_BACK("engineering_tokens", "card_serial, meter_number, kind, seq, key_version, alarm_level, pretrip_level, "
              "hoarding_limit, max_power, reconnect_delay, new_key_version, issued_at, issued_by",
              "engineering_tokens", R("card") ", " R("meter") ", " R("kind") ", " R("seq") ", " R("key_version") ", "
              R("alarm_level") ", " R("pretrip_level") ", " R("hoarding_limit") ", " R("max_power") ", "
              R("reconnect_delay") ", " R("new_key_version") ", " R("issued_at") ", " R("issued_by")),
    /* The records of db/011-sync-records.sql: each sale's payment (?3 the
     * payment types' keys by number), debt movements (the customers' debt
     * follows by its trigger), refunds with their parts, credit clears
     * (what was refunded of them, oldest first, as kv-refunds.c marks it);
     * their push cursors at head office's last. */
    "UPDATE sales SET payment = x.payment, payment_ref = x.ref FROM (SELECT json_extract(r.value, '$.id') AS id, "
    "(SELECT k.key FROM json_each(?3) k WHERE k.value = " R("payment") ") AS payment, " R("reference") " AS ref "
    "FROM json_each(?1, '$.payments') r WHERE ?2 IS NOT NULL) x WHERE sales.id = x.id AND x.payment IS NOT NULL "
    "AND (sales.payment, sales.payment_ref) IS NOT (x.payment, x.ref)",
    TAKE_BACK("debt_movements", "customer_id, at, kind, amount, sale_id, user_id, reason, settlement",
              "debt_movements", R("customer") ", " R("at") ", " R("kind") ", " R("amount") ", " R("sale") ", "
              R("user") ", " R("reason") ", coalesce(" R("settlement") ", 0)"),
    TAKE_BACK("refunds", "meter_number, shift_id, kind, energy, amount, reason, created_by, created_at", "refunds",
              R("meter") ", " R("shift") ", " R("kind") ", " R("energy") ", " R("amount") ", " R("reason") ", "
              R("created_by") ", " R("created_at")),
    "INSERT OR IGNORE INTO refund_parts(refund_id, sale_id, energy, amount) SELECT json_extract(r.value, '$.id'), "
    "json_extract(p.value, '$.sale'), json_extract(p.value, '$.energy'), json_extract(p.value, '$.amount') "
    "FROM json_each(?1, '$.refunds') r, json_each(r.value, '$.content.parts') p WHERE ?2 IS NOT NULL",
    TAKE_BACK("credit_clears", "meter_number, card_serial, token_seq, readback_counter, cleared_total, amount, "
              "recorded_at", "credit_clears", R("meter") ", " R("card") ", " R("token_seq") ", "
              R("readback_counter") ", " R("cleared_total") ", " R("amount") ", " R("recorded_at")),
    "UPDATE credit_clears SET refunded = min(amount, max(0, (SELECT coalesce(sum(f.energy), 0) FROM refunds f "
    "WHERE f.meter_number = credit_clears.meter_number) - (SELECT coalesce(sum(o.amount), 0) FROM credit_clears o "
    "WHERE o.meter_number = credit_clears.meter_number AND o.id < credit_clears.id))) "
    "WHERE ?1 IS NOT NULL AND ?2 IS NOT NULL",
    /* Meter swaps and settled refund tokens of unloaded credit (db/013,
     * pushed with their audit rows): a swap taken back does to the meters,
     * cards and cleared credit what kv-swap.c did. */
    "UPDATE meters SET customer_id = o.customer_id, tariff_code = o.tariff_code "
    "FROM json_each(?1, '$.transfers') r JOIN meters o ON o.number = " R("from_meter") " "
    "WHERE ?2 IS NOT NULL AND meters.number = " R("to_meter") " AND " NEW_TRANSFER,
    "UPDATE cards SET status = :blocked, status_reason = 'meter swapped' WHERE status IN (:issuing, :active) "
    "AND meter_number IN (SELECT " R("from_meter") " FROM json_each(?1, '$.transfers') r WHERE ?2 IS NOT NULL "
    "AND " NEW_TRANSFER ")",
    "UPDATE meters SET status = :removed WHERE status <> :removed AND number IN (SELECT " R("from_meter") " "
    "FROM json_each(?1, '$.transfers') r WHERE ?2 IS NOT NULL)",
    TAKE_BACK("transfers", "from_meter, to_meter, source, remaining, unloaded, energy, readback_counter, reason, "
              "created_by, created_at", "transfers", R("from_meter") ", " R("to_meter") ", " R("source") ", "
              R("remaining") ", " R("unloaded") ", " R("energy") ", " R("readback_counter") ", " R("reason") ", "
              R("created_by") ", " R("created_at")),
    "UPDATE credit_clears SET refunded = amount WHERE refunded <> amount AND ?1 IS NOT NULL AND ?2 IS NOT NULL "
    "AND meter_number IN (SELECT from_meter FROM transfers)",
    TAKE_BACK("refund_tokens", "meter_number, card_serial, seq, cumulative_before, cumulative, state, shift_id, "
              "reason, created_by, created_at, refund_id", "refund_tokens", R("meter") ", " R("card") ", "
              R("seq") ", " R("cumulative_before") ", " R("cumulative") ", " R("state") ", " R("shift") ", "
              R("reason") ", " R("created_by") ", " R("created_at") ", " R("refund")),
    "UPDATE push_cursors SET pushed = max(pushed, (SELECT coalesce(max(json_extract(r.value, '$.id')), 0) "
    "FROM json_each(?1, CASE stream WHEN 'payment' THEN '$.payments' WHEN 'debt' THEN '$.debt_movements' "
    "WHEN 'refund' THEN '$.refunds' ELSE '$.credit_clears' END) r)) WHERE ?2 IS NOT NULL",
    /* The counters move above every record taken back: the meters'
     * sequences and what was sold. */
    "UPDATE meters SET last_seq = max(last_seq, "
    "coalesce((SELECT max(max(s.seq, coalesce(s.cancel_seq, 0))) FROM sales s WHERE s.meter_number = meters.number), 0), "
    "coalesce((SELECT max(e.seq) FROM engineering_tokens e WHERE e.meter_number = meters.number), 0), "
    "coalesce((SELECT max(t.seq) FROM refund_tokens t WHERE t.meter_number = meters.number), 0), "
    /* a card's first token (the credit a swap carried): its audit row */
    "coalesce((SELECT max(CAST(substr(a.detail, instr(a.detail, ' seq=') + 5) AS INTEGER)) FROM audit a "
    "WHERE a.action = 'card.issuing' AND a.detail LIKE printf('meter=%09d seq=%%', meters.number)), 0)), "
    /* A settled refund lowered what was sold: the newest one counts if
     * the ledger did not know its sequence, and the sales after it. */
    "cumulative_sold = max(coalesce((SELECT t.cumulative FROM refund_tokens t WHERE t.meter_number = meters.number "
    "AND t.state = :done AND t.seq > meters.last_seq ORDER BY t.seq DESC LIMIT 1), cumulative_sold), "
    "coalesce((SELECT max(s.cumulative) FROM sales s WHERE s.meter_number = meters.number AND s.state = :completed "
    "AND s.seq > " LAST_REFUND_SEQ "), 0), "
    "CASE WHEN " LAST_REFUND_SEQ " = 0 THEN coalesce((SELECT x.energy FROM transfers x "
    "WHERE x.to_meter = meters.number), 0) ELSE 0 END) WHERE ?1 IS NOT NULL AND ?2 IS NOT NULL",
    "UPDATE sync_state SET recover = NULL, "
    "pushed_audit = (SELECT coalesce(max(json_extract(r.value, '$.id')), 0) FROM json_each(?1, '$.audit') r), "
    "pushed_reading = max(pushed_reading, (SELECT coalesce(max(id), 0) FROM meter_readings)), "
    "pushed_engineering = max(pushed_engineering, (SELECT coalesce(max(id), 0) FROM engineering_tokens)) "
    "WHERE ?2 IS NOT NULL",
};

/* kv_unhex(TEXT): the bytes of lower- or upper-case hex digits (NULL for
 * NULL or for text that is not hex); SQLite has unhex() only from 3.41. */
static void sql_unhex(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const unsigned char *t = sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    guint8 *out;
    if (!t || n % 2) {
        sqlite3_result_null(ctx);
        return;
    }
    out = g_malloc(n / 2 + 1);
    for (int i = 0; i < n / 2; i++) {
        int hi = g_ascii_xdigit_value(t[2 * i]), lo = g_ascii_xdigit_value(t[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            g_free(out);
            sqlite3_result_null(ctx);
            return;
        }
        out[i] = (guint8)(hi << 4 | lo);
    }
    sqlite3_result_blob(ctx, out, n / 2, g_free);
}

/* Audit actions that carry no record: a ledger whose rows after the fork
 * are only these can take head office's copy back without losing a
 * sale, a card or a reading. */
#define NO_RECORD_ACTIONS "('station.restore', 'station.backup', 'keys.unlock', 'user.login', " \
    "'user.login-failed', 'user.lockout', 'user.logout', 'sync.conflict', 'sync.recover-needed', 'sync.pull', " \
    "'meter.swap-refused')"

/* 1. The fork point: the last audit row the ledger and head office's copy
 * share (rows before it are the same chain); head office's last row, and
 * how many of the ledger's come after the fork. */
static gboolean find_fork(KvStation *st, const char *reply, KvOutboxRecovery *out, GError **error)
{
    g_autoptr(KvStmt) theirs = kv_db_stmt(st, "SELECT json_extract(c.value, '$.id'), "
                                              "json_extract(c.value, '$.content.hash') "
                                              "FROM json_each(?1, '$.audit') c ORDER BY 1", error);
    g_autoptr(KvAuditIter) it = NULL;
    const KvAuditRow *row = NULL;
    GError *failed = NULL;
    gint64 local = kv_db_int(st, "SELECT coalesce(max(id), 0) FROM audit_rows", 0);
    int rc;

    if (!theirs)
        return FALSE;
    out->fork = -1;
    out->centre_head = 0;
    sqlite3_bind_text(theirs, 1, reply, -1, SQLITE_STATIC);
    /* Head office's rows in order against the ledger's (chain hashes
     * recomputed): the fork is before the first one missing or different. */
    while ((rc = sqlite3_step(theirs)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(theirs, 0);
        const char *hash = (const char *)sqlite3_column_text(theirs, 1);
        out->centre_head = id;
        if (out->fork >= 0)
            continue;
        if (!it && !(it = kv_audit_iter_new(st, id, 0, error)))
            return FALSE;
        while ((!row || row->id < id) && (row = kv_audit_iter_next(it, &failed)))
            ;
        if (failed) {
            g_propagate_error(error, failed);
            return FALSE;
        }
        if (!row || row->id != id) {
            out->fork = id - 1;
        } else {
            g_autofree char *ours = kv_audit_hex(row->hash);
            if (g_strcmp0(ours, hash) != 0)
                out->fork = id - 1;
        }
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading head office's records"));
        return FALSE;
    }
    if (out->fork < 0)
        out->fork = out->centre_head;
    out->replaced = local > out->fork ? local - out->fork : 0;
    return TRUE;
}

/* 2. Records made after the fork cannot be merged by a program. */
static gboolean refuse_records_after(KvStation *st, gint64 k, GError **error)
{
    g_autoptr(KvStmt) extra = NULL;

    extra = kv_db_stmt(st, "SELECT group_concat(id || ' ' || action, ', ') FROM (SELECT id, action FROM audit "
                           "WHERE id > ? AND action NOT IN " NO_RECORD_ACTIONS " ORDER BY id LIMIT 5)", error);
    if (!extra)
        return FALSE;
    sqlite3_bind_int64(extra, 1, k);
    if (sqlite3_step(extra) == SQLITE_ROW && sqlite3_column_type(extra, 0) != SQLITE_NULL) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("this ledger made records after it parted from head office's copy at audit row %"
                    PRId64 " (%s): they cannot be merged automatically; keep this file and "
                    "ask head office"), k, sqlite3_column_text(extra, 0));
        return FALSE;
    }
    sqlite3_reset(extra);
    return TRUE;
}

/* A meter the reply's records name (m) and what names it (w), of one kind
 * (the reply's key) and its meter field. */
#define NAMED_METER(key, field, what) \
    "SELECT json_extract(r.value, '$.content." field "') AS m, '" what " ' || json_extract(r.value, '$.id') AS w " \
    "FROM json_each(?1, '$." key "') r"

/* 2b. Every meter head office's records name must be in the ledger before
 * they are taken back (the pull just before brought head office's master
 * data): a meter registered at this station before it joined head office,
 * after the backup, is known to no one else. */
static gboolean refuse_unknown_meters(KvStation *st, const char *reply, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st,
        "WITH x AS (SELECT * FROM ("
        NAMED_METER("transfers", "to_meter", "the new meter of meter swap") " UNION ALL "
        NAMED_METER("transfers", "from_meter", "the old meter of meter swap") " UNION ALL "
        NAMED_METER("cards", "meter", "card") " UNION ALL " NAMED_METER("sales", "meter", "sale") " UNION ALL "
        NAMED_METER("readbacks", "meter", "reading") " UNION ALL "
        NAMED_METER("engineering_tokens", "meter", "engineering token") " UNION ALL "
        NAMED_METER("refunds", "meter", "refund") " UNION ALL "
        NAMED_METER("refund_tokens", "meter", "refund token") " UNION ALL "
        NAMED_METER("credit_clears", "meter", "credit clear") ") y "
        "WHERE y.m IS NOT NULL AND NOT EXISTS (SELECT 1 FROM meters WHERE number = y.m)) "
        "SELECT x.m, x.w, (SELECT count(DISTINCT m) FROM x) FROM x LIMIT 1", error);
    int rc;

    if (!s)
        return FALSE;
    sqlite3_bind_text(s, 1, reply, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("head office's records name meter %09u (%s; %" PRId64 " meter(s) in all) that neither this ledger nor head office's master data holds: it "
                      "was registered at this station, not at head office, after the backup.  Nothing was "
                      "changed.  Register it at head office (kv.meters: its number, tariff, key version and "
                      "levels as installed), then run `kilovendctl sync recover` again: the recovery pulls "
                      "it first"),
                    (guint)sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
                    (gint64)sqlite3_column_int64(s, 2));
        sqlite3_reset(s);
        return FALSE;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading head office's records"));
        return FALSE;
    }
    return TRUE;
}

/* 3. The ledger as it was, beside it, before anything changes. */
static gboolean keep_copy(KvStation *st, KvOutboxRecovery *out, GError **error)
{
    g_autofree char *keep = g_strdup_printf("%s.before-recover-%" G_GINT64_FORMAT, st->db_path, kv_now());
    char *vacuum = sqlite3_mprintf("VACUUM INTO %Q", keep);
    gboolean ok = kv_db_exec(st->db, vacuum, error);

    sqlite3_free(vacuum);
    if (ok)
        out->kept = g_steal_pointer(&keep);
    return ok;
}

/* 4. Head office's rows after the fork and the records the ledger lacks
 * (recover_steps, in the caller's transaction). */
static gboolean take_back(KvStation *st, const char *reply, KvOutboxRecovery *out, GError **error)
{
    g_autofree char *keys = payment_keys();

    for (gsize i = 0; i < G_N_ELEMENTS(recover_steps); i++) {
        g_autofree char *sql = kv_db_sql_states(recover_steps[i]);
        sqlite3_stmt *s = NULL;
        int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc == SQLITE_OK) {
            if (sqlite3_bind_parameter_count(s) >= 1)
                sqlite3_bind_text(s, 1, reply, -1, SQLITE_STATIC);
            if (sqlite3_bind_parameter_count(s) >= 2)
                sqlite3_bind_int64(s, 2, out->fork);
            if (sqlite3_bind_parameter_count(s) >= 3)
                sqlite3_bind_text(s, 3, keys, -1, SQLITE_STATIC);
            rc = sqlite3_step(s);
        }
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
            kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("taking head office's records back"));
            return FALSE;
        }
        if (g_str_has_prefix(recover_steps[i], "INSERT OR IGNORE INTO sales"))
            out->sales = (guint)sqlite3_changes(st->db);
    }
    return TRUE;
}

gboolean kv_outbox_recover(KvStation *st, const char *reply, KvOutboxRecovery *out, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *detail = NULL;

    memset(out, 0, sizeof *out);
    sqlite3_create_function(st->db, "kv_unhex", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_unhex, NULL, NULL);
    if (!find_fork(st, reply, out, error) || !refuse_records_after(st, out->fork, error) ||
        !refuse_unknown_meters(st, reply, error) || !keep_copy(st, out, error) || !kv_txn_begin(&txn, st, error) ||
        !take_back(st, reply, out, error))
        return FALSE;
    detail = g_strdup_printf("fork=%" G_GINT64_FORMAT " centre=%" G_GINT64_FORMAT " replaced=%" G_GINT64_FORMAT
                             " sales=%u kept=%s", out->fork, out->centre_head, out->replaced, out->sales,
                             out->kept);
    return kv_audit_commit(&txn, "sync.recovered", "sync", detail, error);
}

void kv_outbox_recovery_clear(KvOutboxRecovery *r)
{
    g_clear_pointer(&r->kept, g_free);
}
