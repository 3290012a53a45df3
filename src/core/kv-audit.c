/* kv-audit.c - append to and verify the hash-chained, keyed audit log.
 *
 * Two links per row: hash, a plain SHA-256 chain anyone can recompute, and
 * mac, an HMAC of hash under the audit key (kv_keyring_audit_key), which
 * only a station with its keys unlocked can make.  Rows written while the
 * keys are locked have no mac; the next keyed row covers them, because its
 * hash chains every row before it.  See docs/station.md, "Audit log". */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "kv-i18n.h"
#include "kv-audit.h"
#include "kv-payments.h"
#include "kv-db.h"
#include "kv-audit-private.h"
#include "kv-station-private.h"
#include "kv-time.h"

static const guint8 genesis[32]; /* prev_hash of the first row: 32 zero bytes */

void kv_audit_row_hash(const guint8 prev[32], gint64 id, gint64 at, gint64 user,
                       const char *action, const char *object, const char *detail, guint8 out[32])
{
    g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT
                                            "|%" G_GINT64_FORMAT "|%s|%s|%s",
                                            id, at, user, action, object, detail);
    unsigned int len = 32;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, prev, 32);
    EVP_DigestUpdate(c, text, strlen(text));
    EVP_DigestFinal_ex(c, out, &len);
    EVP_MD_CTX_free(c);
}

/* mac = HMAC-SHA256(key, "KV-AUDIT-MAC-1" || hash) */
static void row_mac(const guint8 key[KV_AUDIT_KEY_LEN], const guint8 hash[32], guint8 out[32])
{
    static const char label[] = "KV-AUDIT-MAC-1";
    guint8 msg[sizeof label - 1 + 32];
    unsigned int len = 32;
    memcpy(msg, label, sizeof label - 1);
    memcpy(msg + sizeof label - 1, hash, 32);
    HMAC(EVP_sha256(), key, KV_AUDIT_KEY_LEN, msg, sizeof msg, out, &len);
}

/* Actions only ever written with the keys unlocked: such a row without a
 * mac, after the first keyed row, had its mac removed. */
static gboolean action_needs_keys(const char *action)
{
    return g_strcmp0(action, "keys.unlock") == 0 || g_strcmp0(action, "sale.pending") == 0;
}

char *kv_audit_sale_detail(const char *state, gint64 amount, gint64 energy, guint32 seq,
                           guint32 cumulative, guint32 card_serial, int payment,
                           const char *payment_ref, gint64 free_energy, gint free_month)
{
    GString *d = g_string_new(NULL);
    g_string_printf(d, "state=%s amount=%" G_GINT64_FORMAT " energy=%" G_GINT64_FORMAT
                    " seq=%u cumulative=%u card=%u",
                    state, amount, energy, seq, cumulative, card_serial);
    if (payment != KV_PAYMENT_CASH)
        g_string_append_printf(d, " pay=%s", kv_payment_key((KvPaymentType)payment));
    if (payment_ref)
        g_string_append_printf(d, " ref=%s", payment_ref);
    if (free_energy || free_month)
        g_string_append_printf(d, " free=%" G_GINT64_FORMAT " month=%d", free_energy, free_month);
    return g_string_free(d, FALSE);
}

gboolean kv_audit_append(KvStation *st, const char *action, const char *object,
                         const char *detail, GError **error)
{
    g_autoptr(KvStmt) last = kv_db_stmt(st, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
                                        error);
    g_autoptr(KvStmt) ins = NULL;
    guint8 prev[32], hash[32], key[KV_AUDIT_KEY_LEN];
    gint64 id = 1, at = kv_now(), user = kv_station_user_id(st);
    int rc;

    if (!last)
        return FALSE;
    memcpy(prev, genesis, 32);
    rc = sqlite3_step(last);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(last, 0) + 1;
        if (sqlite3_column_bytes(last, 1) == 32)
            memcpy(prev, sqlite3_column_blob(last, 1), 32);
    } else if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("audit log"));
        return FALSE;
    }
    kv_audit_row_hash(prev, id, at, user, action, object, detail ? detail : "", hash);
    ins = kv_db_stmt(st, "INSERT INTO audit(id, at, user_id, action, object, detail, prev_hash, "
                         "hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
    if (!ins)
        return FALSE;
    if (kv_keystore_audit_key(st->keys, key)) {
        guint8 mac[32];
        row_mac(key, hash, mac);
        OPENSSL_cleanse(key, sizeof key);
        sqlite3_bind_blob(ins, 9, mac, 32, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(ins, 1, id);
    sqlite3_bind_int64(ins, 2, at);
    if (user)
        sqlite3_bind_int64(ins, 3, user);
    sqlite3_bind_text(ins, 4, action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 5, object, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 6, detail ? detail : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 7, prev, 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 8, hash, 32, SQLITE_TRANSIENT);
    return kv_db_step_done(st, ins, _("audit log"), error);
}

gboolean kv_audit_commit(KvTxn *txn, const char *action, const char *object,
                         const char *detail, GError **error)
{
    if (kv_audit_append(txn->st, action, object, detail, error))
        return kv_txn_commit(txn, error);
    kv_txn_rollback(txn);
    return FALSE;
}

gboolean kv_audit_record(KvStation *st, const char *action, const char *object,
                         const char *detail, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    return kv_txn_begin(&txn, st, error) && kv_audit_commit(&txn, action, object, detail, error);
}

void kv_audit_report_free(KvAuditReport *r)
{
    if (!r)
        return;
    g_free(r->head_hex);
    g_free(r->head);
    if (r->problems)
        g_ptr_array_unref(r->problems);
    g_free(r);
}

static char *hex(const guint8 *p, gsize n)
{
    GString *s = g_string_sized_new(n * 2);
    for (gsize i = 0; i < n; i++)
        g_string_append_printf(s, "%02x", p[i]);
    return g_string_free(s, FALSE);
}

static char *head_text(gint64 id, const guint8 hash[32])
{
    g_autofree char *h = hex(hash, 32);
    return g_strdup_printf("%" G_GINT64_FORMAT "-%s", id, h);
}

char *kv_audit_head(KvStation *st, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
                                     error);
    if (!s)
        return NULL;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 1) == 32)
        return head_text(sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1));
    return head_text(0, genesis);
}

/* "ID-HEX" (what kv_audit_head prints) or a bare "HEX" (heads printed before
 * the row number was part of them): *id is 0 for the bare form. */
static gboolean parse_head(const char *text, gint64 *id, char hexpart[65])
{
    const char *dash = strchr(text, '-');
    const char *h = dash ? dash + 1 : text;
    char *end = NULL;
    *id = 0;
    if (dash) {
        *id = g_ascii_strtoll(text, &end, 10);
        if (end != dash || *id <= 0)
            return FALSE;
    }
    if (strlen(h) != 64)
        return FALSE;
    for (int i = 0; i < 64; i++)
        if (!g_ascii_isxdigit(h[i]))
            return FALSE;
    memcpy(hexpart, h, 65);
    return TRUE;
}

#define PROBLEM(...) g_ptr_array_add(r->problems, g_strdup_printf(__VA_ARGS__))

/* Each sale's current row must be what its last audit row says
 * (sale_last: "sale:<id>" -> detail of its last audit row; emptied). */
static gboolean check_sales(KvStation *st, KvAuditReport *r, GHashTable *sale_last,
                            GCancellable *cancellable, GError **error)
{
    int rc;
    g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT id, state, amount, energy, seq, cumulative, "
                                         "card_serial, cancel_seq, payment, payment_ref, "
                                         "free_energy, coalesce(free_month, 0) "
                                         "FROM sales ORDER BY id", error);
    if (!q)
        return FALSE;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(q, 0);
        const char *state = (const char *)sqlite3_column_text(q, 1);
        g_autofree char *key = g_strdup_printf("sale:%" G_GINT64_FORMAT, id);
        const char *logged = g_hash_table_lookup(sale_last, key);
        g_autofree char *now = NULL;
        /* 'written' is an intermediate step not audited: it must match the
         * pending row. */
        const char *st_for_audit = kv_sale_state_from_name(state) == KV_SALE_WRITTEN
                                       ? kv_sale_state_name(KV_SALE_PENDING)
                                       : state;
        now = kv_audit_sale_detail(st_for_audit, sqlite3_column_int64(q, 2),
                                   sqlite3_column_int64(q, 3),
                                   (guint32)sqlite3_column_int64(q, 4),
                                   (guint32)sqlite3_column_int64(q, 5),
                                   (guint32)sqlite3_column_int64(q, 6),
                                   sqlite3_column_int(q, 8),
                                   (const char *)sqlite3_column_text(q, 9),
                                   sqlite3_column_int64(q, 10), sqlite3_column_int(q, 11));
        if (!logged)
            PROBLEM(_("sale %" PRId64 " has no audit row (audit rows deleted, or the "
                    "sale was inserted behind the station's back)"), id);
        else if (!g_str_has_prefix(logged, now) ||
                 /* audited as paid otherwise, now cash */
                 g_str_has_prefix(logged + strlen(now), " pay=") ||
                 g_str_has_prefix(logged + strlen(now), " ref=") ||
                 /* audited with a free grant, now without */
                 g_str_has_prefix(logged + strlen(now), " free="))
            PROBLEM(_("sale %" PRId64 " differs from its audit record: now '%s', "
                    "audited '%s'"), id, now, logged);
        g_hash_table_remove(sale_last, key);
        r->sales_checked++;
        if (g_cancellable_set_error_if_cancelled(cancellable, error))
            return FALSE;
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading sales"));
        return FALSE;
    }
    {
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, sale_last);
        while (g_hash_table_iter_next(&it, &k, NULL))
            PROBLEM(_("%s is in the audit log but not in the sales table (deleted)"),
                    (char *)k);
    }
    return TRUE;
}

/* After the last row: where the exported head (anchor) should have been. */
static void check_anchor_end(KvAuditReport *r, const char *anchor_hex, gboolean anchor_found,
                             gint64 anchor_id, gint64 last_id)
{
    if (!anchor_found && anchor_id > last_id)
        PROBLEM(_("the exported head %s is row %" PRId64 " but the log ends at row %" PRId64
                ": rows %" PRId64 "..%" PRId64 " were deleted"), anchor_hex, anchor_id, last_id,
                last_id + 1, anchor_id);
    else if (!anchor_found && anchor_id > 0)
        PROBLEM(_("the exported head %s is row %" PRId64 ", which is missing from the log "
                "(deleted)"), anchor_hex, anchor_id);
    else if (!anchor_found && anchor_id == 0)
        PROBLEM(_("the exported head %s is not in the log (it ends at row %" PRId64 "): rows "
                "were deleted from its end, or it was rewritten"), anchor_hex, last_id);
}

/* The walk along the chain, row by row: where it is and what it found. */
typedef struct {
    KvAuditReport *r;
    guint8 prev[32]; /* the hash of the row before (genesis before the first) */
    guint8 audit_key[KV_AUDIT_KEY_LEN];
    gint64 expect_id, last_id;
    gint64 first_bad_mac, bad_macs, last_good_mac;
    const char *anchor_hex; /* the exported head to find, or NULL */
    char anchor[65];        /* its hash in hexadecimal */
    gint64 anchor_id;       /* its row; 0 if not given, -1 once reported */
    gboolean anchor_found;
    GHashTable *sale_last;  /* "sale:<id>" -> detail of its last row */
} AuditWalk;

/* One row of the audit table; the hashes are NULL unless 32 bytes long. */
typedef struct {
    gint64 id, at, user_id;
    const char *action, *object, *detail;
    const guint8 *prev_hash, *hash, *mac;
} AuditRow;

/* 1. The row as stored. */
static void read_row(KvStmt *s, AuditRow *row)
{
    row->id = sqlite3_column_int64(s, 0);
    row->at = sqlite3_column_int64(s, 1);
    row->user_id = sqlite3_column_int64(s, 2);
    row->action = (const char *)sqlite3_column_text(s, 3);
    row->object = (const char *)sqlite3_column_text(s, 4);
    row->detail = (const char *)sqlite3_column_text(s, 5);
    row->prev_hash = sqlite3_column_bytes(s, 6) == 32 ? sqlite3_column_blob(s, 6) : NULL;
    row->hash = sqlite3_column_bytes(s, 7) == 32 ? sqlite3_column_blob(s, 7) : NULL;
    row->mac = sqlite3_column_bytes(s, 8) == 32 ? sqlite3_column_blob(s, 8) : NULL;
}

/* 2. It follows the row before: no ids missing, its prev_hash is that
 * row's hash. */
static void check_link(AuditWalk *w, const AuditRow *row)
{
    KvAuditReport *r = w->r;
    if (row->id != w->expect_id)
        PROBLEM(_("audit rows %" PRId64 "..%" PRId64 " are missing (deleted)"),
                w->expect_id, row->id - 1);
    if (!row->prev_hash || memcmp(row->prev_hash, w->prev, 32) != 0)
        PROBLEM(_("audit row %" PRId64 ": does not follow the previous row "
                "(a row before it was deleted or changed)"), row->id);
}

/* 3. Its hash is the hash of its content; the walk moves on to it. */
static void check_hash(AuditWalk *w, const AuditRow *row)
{
    KvAuditReport *r = w->r;
    const char *action = row->action, *object = row->object, *detail = row->detail;
    guint8 want[32];
    kv_audit_row_hash(row->prev_hash ? row->prev_hash : genesis, row->id, row->at,
                      row->user_id, action ? action : "", object ? object : "",
                      detail ? detail : "", want);
    if (!row->hash || memcmp(row->hash, want, 32) != 0)
        PROBLEM(_("audit row %" PRId64 " (%s %s): its content was changed"), row->id,
                action ? action : "?", object ? object : "?");
    if (row->hash)
        memcpy(w->prev, row->hash, 32);
}

/* 4. Its keyed MAC (over its hash), where the station had the keys; a row
 * of an action that always has the keys must have one once rows are
 * keyed. */
static void check_mac(AuditWalk *w, const AuditRow *row)
{
    KvAuditReport *r = w->r;
    const char *action = row->action, *object = row->object;
    gint64 id = row->id;
    if (row->mac) {
        r->rows_keyed++;
        r->covered_to = id;
        if (r->keyed) {
            guint8 mac[32];
            row_mac(w->audit_key, w->prev, mac);
            if (CRYPTO_memcmp(mac, row->mac, 32) != 0) {
                if (w->bad_macs++ == 0 && w->last_good_mac + 1 == id)
                    PROBLEM(_("audit row %" PRId64 " (%s %s): its keyed MAC does not "
                            "match: the row was changed and the chain recomputed"), id,
                            action ? action : "?", object ? object : "?");
                else if (w->bad_macs == 1)
                    PROBLEM(_("audit row %" PRId64 " (%s %s): its keyed MAC does not "
                            "match: a row from %" PRId64 " to %" PRId64 " was changed and "
                            "the chain recomputed"), id, action ? action : "?",
                            object ? object : "?", w->last_good_mac + 1, id);
                if (w->bad_macs == 1)
                    w->first_bad_mac = id;
            } else if (!w->bad_macs) {
                w->last_good_mac = id;
            }
        }
    } else if (r->rows_keyed && action_needs_keys(action)) {
        PROBLEM(_("audit row %" PRId64 " (%s %s) is always written with the keys unlocked "
                "but has no keyed MAC: its MAC was removed"), id, action, object ? object : "?");
    }
}

/* 5. The exported head, if one is given: is this row it? */
static void check_anchor(AuditWalk *w, const AuditRow *row)
{
    KvAuditReport *r = w->r;
    if (w->anchor_hex && !w->anchor_found && (w->anchor_id == 0 || w->anchor_id == row->id)) {
        g_autofree char *h = hex(w->prev, 32);
        w->anchor_found = g_ascii_strcasecmp(h, w->anchor) == 0;
        if (w->anchor_id == row->id && !w->anchor_found)
            PROBLEM(_("audit row %" PRId64 " is not the exported head %s: the log was "
                    "rewritten at or before row %" PRId64), row->id, w->anchor_hex, row->id);
        if (w->anchor_id == row->id)
            w->anchor_id = -1; /* reported */
    }
}

/* 6. A sale's row: remembered as that sale's last, for check_sales. */
static void note_sale(AuditWalk *w, const AuditRow *row)
{
    if (row->object && g_str_has_prefix(row->object, "sale:") && row->action &&
        g_str_has_prefix(row->action, "sale."))
        g_hash_table_replace(w->sale_last, g_strdup(row->object),
                             g_strdup(row->detail ? row->detail : ""));
}

/* The walk along every row (steps 1 to 6), then what the end tells: MACs
 * failing after the first, the exported head not met. */
static gboolean walk_chain(KvStation *st, AuditWalk *w, KvProgressFunc progress,
                           gpointer user_data, GCancellable *cancellable, GError **error)
{
    KvAuditReport *r = w->r;
    gint64 total = kv_db_int(st, "SELECT count(*) FROM audit", 0);
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT id, at, coalesce(user_id, 0), action, object, "
                                         "detail, prev_hash, hash, mac FROM audit ORDER BY id",
                                     error);
    int rc;
    if (!s)
        return FALSE;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        AuditRow row;
        read_row(s, &row);
        check_link(w, &row);
        check_hash(w, &row);
        check_mac(w, &row);
        check_anchor(w, &row);
        note_sale(w, &row);
        w->last_id = row.id;
        w->expect_id = row.id + 1;
        r->rows++;
        if (progress && r->rows % 65536 == 0)
            progress(r->rows, (guint64)total, N_("audit rows"), user_data);
        if (g_cancellable_set_error_if_cancelled(cancellable, error))
            return FALSE;
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading the audit log"));
        return FALSE;
    }
    if (w->bad_macs > 1)
        PROBLEM(_("%" PRId64 " keyed rows after row %" PRId64 " fail their MAC as well"),
                w->bad_macs - 1, w->first_bad_mac);
    r->head_hex = hex(w->prev, 32);
    r->head = head_text(w->last_id, w->prev);
    check_anchor_end(r, w->anchor_hex, w->anchor_found, w->anchor_id, w->last_id);
    return TRUE;
}

KvAuditReport *kv_audit_verify(KvStation *st, const char *anchor_hex, KvProgressFunc progress,
                               gpointer user_data, GCancellable *cancellable, GError **error)
{
    g_autoptr(KvAuditReport) r = NULL;
    g_autoptr(GHashTable) sale_last = NULL;
    AuditWalk w = { 0 };
    gboolean walked;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    if (anchor_hex && !parse_head(anchor_hex, &w.anchor_id, w.anchor)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("'%s' is not an audit head: it is ROW-HASH as `audit head` and the Z "
                    "report print it (or the 64 hexadecimal digits alone)"), anchor_hex);
        return NULL;
    }
    r = g_new0(KvAuditReport, 1);
    r->problems = g_ptr_array_new_with_free_func(g_free);
    sale_last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    w.r = r;
    w.sale_last = sale_last;
    w.expect_id = 1;
    w.anchor_hex = anchor_hex;
    w.anchor_found = anchor_hex == NULL;
    memcpy(w.prev, genesis, 32);
    r->keyed = kv_keystore_audit_key(st->keys, w.audit_key);
    walked = walk_chain(st, &w, progress, user_data, cancellable, error);
    OPENSSL_cleanse(w.audit_key, sizeof w.audit_key);
    if (!walked || !check_sales(st, r, sale_last, cancellable, error))
        return NULL;
    return g_steal_pointer(&r);
}
