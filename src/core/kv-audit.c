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
#include "kv-money.h"
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
 * mac, after the first keyed row, had its mac removed (or was forged).  A
 * clear-credit card's report is read with the meter's keys. */
static gboolean action_needs_keys(const char *action)
{
    return g_strcmp0(action, "keys.unlock") == 0 || g_strcmp0(action, "sale.pending") == 0 ||
           g_strcmp0(action, "meter.credit-cleared") == 0;
}

/* A sale's detail in the first form ("state=S amount=A energy=E seq=Q
 * cumulative=C card=K", rows written before db/016) or the compact one
 * ("S A E Q C K"); both end with the same optional parts. */
static char *sale_detail(gboolean named, const char *state, gint64 amount, gint64 energy,
                         guint32 seq, guint32 cumulative, guint32 card_serial, int payment,
                         const char *payment_ref, gint64 free_energy, gint free_month)
{
    GString *d = g_string_new(NULL);
    g_string_printf(d, named ? "state=%s amount=%" G_GINT64_FORMAT " energy=%" G_GINT64_FORMAT
                               " seq=%u cumulative=%u card=%u"
                             : "%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %u %u %u",
                    state, amount, energy, seq, cumulative, card_serial);
    if (payment != KV_PAYMENT_CASH)
        g_string_append_printf(d, " pay=%s", kv_payment_key((KvPaymentType)payment));
    if (payment_ref)
        g_string_append_printf(d, " ref=%s", payment_ref);
    if (free_energy || free_month)
        g_string_append_printf(d, " free=%" G_GINT64_FORMAT " month=%d", free_energy, free_month);
    return g_string_free(d, FALSE);
}

char *kv_audit_sale_detail(const char *state, gint64 amount, gint64 energy, guint32 seq,
                           guint32 cumulative, guint32 card_serial, int payment,
                           const char *payment_ref, gint64 free_energy, gint free_month)
{
    return sale_detail(FALSE, state, amount, energy, seq, cumulative, card_serial, payment,
                       payment_ref, free_energy, free_month);
}

/* ---- the one reader of the logical rows ---- */

struct KvAuditIter {
    KvStation *st;
    KvStmt *s;
    gint64 from;
    guint8 prev[32]; /* the hash of the row read before */
    KvAuditRow row;
};

/* Each row's texts as the chain formula reads them: "" for none. */
static const char *text_or_empty(KvStmt *s, int col)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    return t ? t : "";
}

KvAuditIter *kv_audit_iter_new(KvStation *st, gint64 from, gint64 to, GError **error)
{
    g_autoptr(KvStmt) cp = kv_db_query(st, "SELECT id, hash FROM audit_checkpoints WHERE id < ? "
                                           "ORDER BY id DESC LIMIT 1", error,
                                       KV_DB_VALUES(KV_INT(from)));
    KvAuditIter *it;
    gint64 start = 0;
    if (!cp)
        return NULL;
    it = g_new0(KvAuditIter, 1);
    it->st = st;
    it->from = from;
    memcpy(it->prev, genesis, 32);
    if (sqlite3_step(cp) == SQLITE_ROW && sqlite3_column_bytes(cp, 1) == 32) {
        start = sqlite3_column_int64(cp, 0);
        memcpy(it->prev, sqlite3_column_blob(cp, 1), 32);
    }
    it->s = kv_db_query(st, "SELECT id, at, user_id, action, object, detail, hash, mac "
                            "FROM audit WHERE id > ?1 AND id <= ?2 ORDER BY id", error,
                        KV_DB_VALUES(KV_INT(start), KV_INT(to > 0 ? to : G_MAXINT64)));
    if (!it->s) {
        g_free(it);
        return NULL;
    }
    return it;
}

const KvAuditRow *kv_audit_iter_next(KvAuditIter *it, GError **error)
{
    KvAuditRow *row = &it->row;
    int rc;
    while ((rc = sqlite3_step(it->s)) == SQLITE_ROW) {
        KvStmt *s = it->s;
        row->id = sqlite3_column_int64(s, 0);
        row->at = sqlite3_column_int64(s, 1);
        row->has_user = sqlite3_column_type(s, 2) != SQLITE_NULL;
        row->user_id = sqlite3_column_int64(s, 2);
        row->action = text_or_empty(s, 3);
        row->object = text_or_empty(s, 4);
        row->detail = text_or_empty(s, 5);
        row->kept = sqlite3_column_bytes(s, 6) == 32 ? sqlite3_column_blob(s, 6) : NULL;
        row->mac = sqlite3_column_bytes(s, 7) == 32 ? sqlite3_column_blob(s, 7) : NULL;
        memcpy(row->prev_hash, it->prev, 32);
        kv_audit_row_hash(row->prev_hash, row->id, row->at, row->user_id, row->action,
                          row->object, row->detail, row->hash);
        memcpy(it->prev, row->hash, 32);
        if (row->id >= it->from)
            return row;
    }
    if (rc != SQLITE_DONE)
        kv_db_set_error(error, it->st->db, sqlite3_extended_errcode(it->st->db),
                        _("reading the audit log"));
    return NULL;
}

void kv_audit_iter_resync(KvAuditIter *it, const guint8 hash[32])
{
    memcpy(it->prev, hash, 32);
}

void kv_audit_iter_free(KvAuditIter *it)
{
    if (!it)
        return;
    kv_stmt_release(it->s);
    g_free(it);
}

gboolean kv_audit_hash_of(KvStation *st, gint64 id, guint8 hash[32], GError **error)
{
    g_autoptr(KvAuditIter) it = kv_audit_iter_new(st, id, id, error);
    const KvAuditRow *row = it ? kv_audit_iter_next(it, error) : NULL;
    if (!row || row->id != id)
        return FALSE;
    memcpy(hash, row->hash, 32);
    return TRUE;
}

/* The last row and its hash (0 and genesis for an empty log): the head
 * kept with each row when it is that row's, recomputed otherwise. */
static gboolean last_row(KvStation *st, gint64 *id, guint8 hash[32], GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT (SELECT max(id) FROM audit_rows), "
                                         "(SELECT hash FROM audit_head WHERE id = "
                                         "(SELECT max(id) FROM audit_rows))", error);
    int rc;
    if (!s)
        return FALSE;
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("audit log"));
        return FALSE;
    }
    *id = sqlite3_column_int64(s, 0);
    memcpy(hash, genesis, 32);
    if (*id == 0)
        return TRUE;
    if (sqlite3_column_bytes(s, 1) == 32) {
        memcpy(hash, sqlite3_column_blob(s, 1), 32);
        return TRUE;
    }
    sqlite3_reset(s);
    if (!kv_audit_hash_of(st, *id, hash, error) && error && *error)
        return FALSE;
    return TRUE;
}

gboolean kv_audit_append(KvStation *st, const char *action, const char *object,
                         const char *detail, GError **error)
{
    g_autoptr(KvStmt) ins = NULL;
    guint8 prev[32], hash[32], key[KV_AUDIT_KEY_LEN];
    gint64 id, at = kv_now(), user = kv_station_user_id(st);

    if (!last_row(st, &id, prev, error))
        return FALSE;
    id++;
    kv_audit_row_hash(prev, id, at, user, action, object, detail ? detail : "", hash);
    /* Through the view: db/020-compact-audit.sql keeps the row compact and
     * its hash at a checkpoint and as the head. */
    ins = kv_db_stmt(st, "INSERT INTO audit(id, at, user_id, action, object, detail, hash, mac) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);
    if (!ins)
        return FALSE;
    if (kv_keystore_audit_key(st->keys, key)) {
        guint8 mac[32];
        row_mac(key, hash, mac);
        OPENSSL_cleanse(key, sizeof key);
        sqlite3_bind_blob(ins, 8, mac, 32, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(ins, 1, id);
    sqlite3_bind_int64(ins, 2, at);
    if (user)
        sqlite3_bind_int64(ins, 3, user);
    sqlite3_bind_text(ins, 4, action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 5, object, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 6, detail ? detail : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 7, hash, 32, SQLITE_TRANSIENT);
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

char *kv_audit_hex(const guint8 hash[32])
{
    return hex(hash, 32);
}

static char *head_text(gint64 id, const guint8 hash[32])
{
    g_autofree char *h = hex(hash, 32);
    return g_strdup_printf("%" G_GINT64_FORMAT "-%s", id, h);
}

char *kv_audit_head(KvStation *st, GError **error)
{
    gint64 id;
    guint8 hash[32];
    if (!last_row(st, &id, hash, error))
        return NULL;
    return head_text(id, hash);
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

/* A row of a table checked: its audit row is used up, the count goes on;
 * FALSE when cancelled. */
static gboolean row_done(GHashTable *rows, const char *key, guint64 *count,
                         GCancellable *cancellable, GError **error)
{
    g_hash_table_remove(rows, key);
    (*count)++;
    return !g_cancellable_set_error_if_cancelled(cancellable, error);
}

/* After the rows of a table checked against the audit log: the reading
 * ended well (rc), and the audit rows left in `left` (object -> detail)
 * name rows deleted from that table. */
static gboolean end_of_table(KvStation *st, KvAuditReport *r, int rc, const char *reading,
                             GHashTable *left, const char *table, GError **error)
{
    GHashTableIter it;
    gpointer k;
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), reading);
        return FALSE;
    }
    g_hash_table_iter_init(&it, left);
    while (g_hash_table_iter_next(&it, &k, NULL))
        PROBLEM(_("%s is in the audit log but not in %s (deleted)"), (char *)k, table);
    return TRUE;
}

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
        /* compared in the form it was audited in */
        now = sale_detail(logged && g_str_has_prefix(logged, "state="), st_for_audit,
                          sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3),
                          (guint32)sqlite3_column_int64(q, 4), (guint32)sqlite3_column_int64(q, 5),
                          (guint32)sqlite3_column_int64(q, 6), sqlite3_column_int(q, 8),
                          (const char *)sqlite3_column_text(q, 9), sqlite3_column_int64(q, 10),
                          sqlite3_column_int(q, 11));
        if (!logged)
            PROBLEM(_("sale %" PRId64 " has no audit row (audit rows deleted, or the "
                    "sale was inserted behind the station's back)"), id);
        else if (!g_str_has_prefix(logged, now) ||
                 /* a number cut short: card 1 now, 12 audited */
                 (logged[strlen(now)] != '\0' && logged[strlen(now)] != ' ') ||
                 /* audited as paid otherwise, now cash */
                 g_str_has_prefix(logged + strlen(now), " pay=") ||
                 g_str_has_prefix(logged + strlen(now), " ref=") ||
                 /* audited with a free grant, now without */
                 g_str_has_prefix(logged + strlen(now), " free="))
            PROBLEM(_("sale %" PRId64 " differs from its audit record: now '%s', "
                    "audited '%s'"), id, now, logged);
        if (!row_done(sale_last, key, &r->sales_checked, cancellable, error))
            return FALSE;
    }
    return end_of_table(st, r, rc, _("reading sales"), sale_last, _("the sales table"), error);
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
    GHashTable *debt_rows;  /* "debt:<id>" -> detail of its debt.movement row */
    char *opening;          /* detail of the first debt.opening row, or NULL */
    gint64 opening_id;      /* its row */
    gint64 last_kept;       /* the last row whose kept hash was met */
    gboolean mac_ok;        /* the row's keyed MAC was checked and matches */
} AuditWalk;

/* 2. It follows the row before: no ids missing. */
static void check_link(AuditWalk *w, const KvAuditRow *row)
{
    KvAuditReport *r = w->r;
    if (row->id != w->expect_id)
        PROBLEM(_("audit rows %" PRId64 "..%" PRId64 " are missing (deleted)"),
                w->expect_id, row->id - 1);
}

/* 3. Where a hash is kept for it (each checkpoint, the head), the rows up
 * to it hash to it; after a break the walk goes on from the kept hash, so
 * that one edit is reported once. */
static void check_kept(AuditWalk *w, KvAuditIter *it, const KvAuditRow *row)
{
    KvAuditReport *r = w->r;
    if (!row->kept)
        return;
    if (memcmp(row->kept, row->hash, 32) != 0 && w->mac_ok) {
        /* the row's own MAC vouches for the hash recomputed: the kept one
         * was changed, the walk goes on from the right one */
        PROBLEM(_("audit row %" PRId64 " (%s %s): the hash kept for it was changed (its keyed "
                "MAC vouches for the rows up to it)"), row->id, row->action, row->object);
    } else if (memcmp(row->kept, row->hash, 32) != 0) {
        PROBLEM(_("audit row %" PRId64 " (%s %s): the hash kept for it is not the hash of "
                "the rows up to it: a row from %" PRId64 " to %" PRId64 " was changed, "
                "or the kept hash"), row->id, row->action, row->object, w->last_kept + 1,
                row->id);
        kv_audit_iter_resync(it, row->kept);
    }
    w->last_kept = row->id;
}

/* 4. Its keyed MAC (over its hash), where the station had the keys; a row
 * of an action that always has the keys must have one once rows are
 * keyed. */
static void check_mac(AuditWalk *w, const KvAuditRow *row)
{
    KvAuditReport *r = w->r;
    const char *action = row->action, *object = row->object;
    gint64 id = row->id;
    w->mac_ok = FALSE;
    if (row->mac) {
        r->rows_keyed++;
        r->covered_to = id;
        if (r->keyed) {
            guint8 mac[32];
            row_mac(w->audit_key, row->hash, mac);
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
            } else {
                w->mac_ok = TRUE;
                if (!w->bad_macs)
                    w->last_good_mac = id;
            }
        }
    } else if (r->rows_keyed && action_needs_keys(action)) {
        PROBLEM(_("audit row %" PRId64 " (%s %s) is always written with the keys unlocked "
                "but has no keyed MAC: its MAC was removed"), id, action, object ? object : "?");
    }
}

/* 5. The exported head, if one is given: is this row it? */
static void check_anchor(AuditWalk *w, const KvAuditRow *row)
{
    KvAuditReport *r = w->r;
    if (w->anchor_hex && !w->anchor_found && (w->anchor_id == 0 || w->anchor_id == row->id)) {
        g_autofree char *h = hex(row->hash, 32);
        w->anchor_found = g_ascii_strcasecmp(h, w->anchor) == 0;
        if (w->anchor_id == row->id && !w->anchor_found)
            PROBLEM(_("audit row %" PRId64 " is not the exported head %s: the log was "
                    "rewritten at or before row %" PRId64), row->id, w->anchor_hex, row->id);
        if (w->anchor_id == row->id)
            w->anchor_id = -1; /* reported */
    }
}

/* 6. A sale's row: remembered as that sale's last, for check_sales; a
 * debt movement's row and the debt ledger's opening summary, for
 * check_debts. */
static void note_sale(AuditWalk *w, const KvAuditRow *row)
{
    KvAuditReport *r = w->r;
    const char *detail = row->detail ? row->detail : "";
    if (!row->object || !row->action)
        return;
    if (g_str_has_prefix(row->object, "sale:") && g_str_has_prefix(row->action, "sale."))
        g_hash_table_replace(w->sale_last, g_strdup(row->object), g_strdup(detail));
    else if (g_str_has_prefix(row->object, "debt:") && strcmp(row->action, "debt.movement") == 0) {
        if (!g_hash_table_insert(w->debt_rows, g_strdup(row->object), g_strdup(detail)))
            PROBLEM(_("audit row %" PRId64 ": a second audit row for %s (rows written past "
                    "the station)"), row->id, row->object);
    } else if (strcmp(row->action, "debt.opening") == 0) {
        if (w->opening)
            PROBLEM(_("audit row %" PRId64 ": a second summary of the debt ledger's opening "
                    "(the first is row %" PRId64 "): the ledger's start was written again "
                    "behind the station's back"), row->id, w->opening_id);
        else {
            w->opening = g_strdup(detail);
            w->opening_id = row->id;
        }
    }
}

/* 7. The head kept with the last row written: rows after the log's last
 * row were deleted (a copy put back from a backup keeps its own head). */
static void check_head_kept(KvStation *st, AuditWalk *w)
{
    KvAuditReport *r = w->r;
    gint64 head = kv_db_int(st, "SELECT coalesce(max(id), 0) FROM audit_head", 0);
    if (head > w->last_id)
        PROBLEM(_("the log's head was row %" PRId64 " when it was last written but the log "
                "ends at row %" PRId64 ": rows %" PRId64 "..%" PRId64 " were deleted"), head,
                w->last_id, w->last_id + 1, head);
    else if (head && head < w->last_id)
        PROBLEM(_("the log's head was row %" PRId64 " when it was last written but the log "
                "goes on to row %" PRId64 ": rows were written past the station"), head,
                w->last_id);
}

/* The walk along every row (steps 1 to 6), then what the end tells: MACs
 * failing after the first, the exported head not met. */
static gboolean walk_chain(KvStation *st, AuditWalk *w, KvProgressFunc progress,
                           gpointer user_data, GCancellable *cancellable, GError **error)
{
    KvAuditReport *r = w->r;
    gint64 total = kv_db_int(st, "SELECT count(*) FROM audit_rows", 0);
    g_autoptr(KvAuditIter) it = kv_audit_iter_new(st, 1, 0, error);
    const KvAuditRow *row;
    GError *failed = NULL;
    if (!it)
        return FALSE;
    while ((row = kv_audit_iter_next(it, &failed))) {
        check_link(w, row);
        check_mac(w, row);
        check_anchor(w, row);
        note_sale(w, row);
        check_kept(w, it, row);
        memcpy(w->prev, row->kept ? row->kept : row->hash, 32);
        w->last_id = row->id;
        w->expect_id = row->id + 1;
        r->rows++;
        if (progress && r->rows % 65536 == 0)
            progress(r->rows, (guint64)total, N_("audit rows"), user_data);
        if (g_cancellable_set_error_if_cancelled(cancellable, error))
            return FALSE;
    }
    if (failed) {
        g_propagate_error(error, failed);
        return FALSE;
    }
    check_head_kept(st, w);
    if (w->bad_macs > 1)
        PROBLEM(_("%" PRId64 " keyed rows after row %" PRId64 " fail their MAC as well"),
                w->bad_macs - 1, w->first_bad_mac);
    r->head_hex = hex(w->prev, 32);
    r->head = head_text(w->last_id, w->prev);
    check_anchor_end(r, w->anchor_hex, w->anchor_found, w->anchor_id, w->last_id);
    return TRUE;
}

/* ---- debt movements ---- */

/* A movement's columns, in the order debt_detail reads them. */
#define DEBT_COLS "id, customer_id, kind, amount, coalesce(sale_id, 0), at, " \
                  "coalesce(user_id, 0), reason, settlement"

/* A movement's canonical content (its audit row's detail), from a row of
 * DEBT_COLS; a head office settlement (db/011-sync-records.sql) adds
 * " settlement=1". */
static char *debt_detail(KvStmt *s)
{
    const char *kind = (const char *)sqlite3_column_text(s, 2);
    const char *reason = (const char *)sqlite3_column_text(s, 7);
    return g_strdup_printf("customer=%" G_GINT64_FORMAT " kind=%s amount=%" G_GINT64_FORMAT
                           " sale=%" G_GINT64_FORMAT " at=%" G_GINT64_FORMAT
                           " user=%" G_GINT64_FORMAT " reason=%s%s",
                           (gint64)sqlite3_column_int64(s, 1), kind ? kind : "",
                           (gint64)sqlite3_column_int64(s, 3), (gint64)sqlite3_column_int64(s, 4),
                           (gint64)sqlite3_column_int64(s, 5), (gint64)sqlite3_column_int64(s, 6),
                           reason ? reason : "",
                           sqlite3_column_int(s, 8) ? " settlement=1" : "");
}

gboolean kv_audit_debt_movements_after(KvStation *st, gint64 after, GError **error)
{
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);
    {
        g_autoptr(KvStmt) s = kv_db_query(st, "SELECT " DEBT_COLS " FROM debt_movements "
                                              "WHERE id > ? ORDER BY id", error,
                                          KV_DB_VALUES(KV_INT(after)));
        int rc;
        if (!s)
            return FALSE;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            g_ptr_array_add(rows, g_strdup_printf("debt:%" G_GINT64_FORMAT,
                                                  (gint64)sqlite3_column_int64(s, 0)));
            g_ptr_array_add(rows, debt_detail(s));
        }
        if (rc != SQLITE_DONE) {
            kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db),
                            _("recording the debt"));
            return FALSE;
        }
    }
    for (guint i = 0; i + 1 < rows->len; i += 2)
        if (!kv_audit_append(st, "debt.movement", rows->pdata[i], rows->pdata[i + 1], error))
            return FALSE;
    return TRUE;
}

/* The movements 1..last: how many, their total, and the SHA-256 of
 * "id|detail\n" for each in id order (hex, 64 digits). */
typedef struct {
    gint64 count, total;
    char sha256[65];
} DebtSummary;

static gboolean debt_summary(KvStation *st, gint64 last, DebtSummary *out, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT " DEBT_COLS " FROM debt_movements "
                                          "WHERE id <= ? ORDER BY id", error,
                                      KV_DB_VALUES(KV_INT(last)));
    EVP_MD_CTX *c;
    guint8 digest[32];
    unsigned int len = 32;
    int rc;
    if (!s)
        return FALSE;
    out->count = out->total = 0;
    c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        g_autofree char *d = debt_detail(s);
        g_autofree char *line = g_strdup_printf("%" G_GINT64_FORMAT "|%s\n",
                                                (gint64)sqlite3_column_int64(s, 0), d);
        EVP_DigestUpdate(c, line, strlen(line));
        out->count++;
        out->total += sqlite3_column_int64(s, 3);
    }
    EVP_DigestFinal_ex(c, digest, &len);
    EVP_MD_CTX_free(c);
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading the debt"));
        return FALSE;
    }
    {
        g_autofree char *h = hex(digest, 32);
        memcpy(out->sha256, h, 65);
    }
    return TRUE;
}

static char *summary_detail(gint64 last, const DebtSummary *d)
{
    return g_strdup_printf("movements=%" G_GINT64_FORMAT " last=%" G_GINT64_FORMAT
                           " total=%" G_GINT64_FORMAT " sha256=%s", d->count, last, d->total,
                           d->sha256);
}

gboolean kv_audit_debt_opening(KvStation *st, GError **error)
{
    g_autofree char *detail = NULL;
    DebtSummary d;
    /* (another process may have written it since the caller looked) */
    gint64 last = kv_db_int(st, "SELECT last_movement FROM debt_ledger_start "
                                "WHERE audit_id IS NULL", -1);
    if (last < 0)
        return TRUE;
    if (!debt_summary(st, last, &d, error))
        return FALSE;
    detail = summary_detail(last, &d);
    return kv_audit_append(st, "debt.opening", "debt", detail, error) &&
           kv_db_run(st, "UPDATE debt_ledger_start SET audit_id = ? WHERE audit_id IS NULL",
                     _("recording the debt"), error,
                     KV_DB_VALUES(KV_INT(sqlite3_last_insert_rowid(st->db))));
}

gboolean kv_audit_debt_start(KvStation *st, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    if (kv_db_int(st, "SELECT count(*) FROM debt_ledger_start WHERE audit_id IS NULL", 0) == 0)
        return TRUE;
    return kv_txn_begin(&txn, st, error) && kv_audit_debt_opening(st, error) &&
           kv_txn_commit(&txn, error);
}

/* The movements before the cut-over against the opening summary; returns
 * the last movement it covers (0: none, every movement has its own row). */
static gboolean check_debt_opening(KvStation *st, KvAuditReport *r, const AuditWalk *w,
                                   gint64 *last, GError **error)
{
    gint64 count = 0, total = 0;
    char sha[65] = "";
    DebtSummary now;
    *last = 0;
    if (!w->opening)
        return TRUE;
    if (sscanf(w->opening, "movements=%" G_GINT64_MODIFIER "d last=%" G_GINT64_MODIFIER
               "d total=%" G_GINT64_MODIFIER "d sha256=%64s", &count, last, &total, sha) != 4) {
        PROBLEM(_("audit row %" PRId64 ": the debt ledger's opening summary cannot be read"),
                w->opening_id);
        return TRUE;
    }
    if (!debt_summary(st, *last, &now, error))
        return FALSE;
    if (now.count != count || now.total != total || strcmp(now.sha256, sha) != 0)
        PROBLEM(_("the debt movements up to %" PRId64 ", recorded before each had its own "
                "audit row, are not those audit row %" PRId64 " summarised (%" PRId64
                " movements totalling %" PRId64 " then, %" PRId64 " totalling %" PRId64
                " now, in minor units): one was changed, inserted or deleted behind the "
                "station's back"), *last, w->opening_id, count, total, now.count, now.total);
    return TRUE;
}

/* Each movement after the cut-over must be what its debt.movement row says
 * (debt_rows: emptied), each such row must have its movement, and each
 * customer's balance must be the sum of their movements. */
static gboolean check_debts(KvStation *st, KvAuditReport *r, const AuditWalk *w,
                            GCancellable *cancellable, GError **error)
{
    GHashTable *rows = w->debt_rows;
    gint64 last;
    int rc;
    if (!check_debt_opening(st, r, w, &last, error))
        return FALSE;
    {
        g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT " DEBT_COLS " FROM debt_movements "
                                             "ORDER BY id", error);
        if (!q)
            return FALSE;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            gint64 id = sqlite3_column_int64(q, 0);
            g_autofree char *key = g_strdup_printf("debt:%" G_GINT64_FORMAT, id);
            g_autofree char *now = debt_detail(q);
            const char *logged = g_hash_table_lookup(rows, key);
            if (id <= last && logged)
                PROBLEM(_("debt movement %" PRId64 " has its own audit row but the opening "
                        "summary (row %" PRId64 ") covers it too"), id, w->opening_id);
            else if (id > last && !logged)
                PROBLEM(_("debt movement %" PRId64 " (%s) has no audit row: it was written "
                        "behind the station's back"), id, now);
            else if (id > last && strcmp(logged, now) != 0)
                PROBLEM(_("debt movement %" PRId64 " differs from its audit record: now '%s', "
                        "audited '%s'"), id, now, logged);
            if (!row_done(rows, key, &r->movements_checked, cancellable, error))
                return FALSE;
        }
        if (!end_of_table(st, r, rc, _("reading the debt"), rows, _("the debt movements"),
                          error))
            return FALSE;
    }
    {
        g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT id, debt, s FROM (SELECT c.id, c.debt, "
                                             "(SELECT coalesce(sum(d.amount), 0) FROM "
                                             "debt_movements d WHERE d.customer_id = c.id) AS s "
                                             "FROM customers c) WHERE debt <> s ORDER BY id",
                                         error);
        if (!q)
            return FALSE;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            g_autofree char *debt = kv_station_format_money(st, sqlite3_column_int64(q, 1));
            g_autofree char *sum = kv_station_format_money(st, sqlite3_column_int64(q, 2));
            PROBLEM(_("customer %" PRId64 " owes %s but their debt movements add up to %s: "
                    "the balance was changed outside its movements"),
                    (gint64)sqlite3_column_int64(q, 0), debt, sum);
        }
        if (rc != SQLITE_DONE) {
            kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading the debt"));
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- credit cleared ---- */

/* A meter.credit-cleared row's facts. */
typedef struct {
    gint64 audit_id, amount, card, counter;
    gboolean matched;
} AuditedClear;

/* The row proves itself: with the key, its MAC is the audit key's over
 * its hash (recomputed from its content and the rows before). */
static gboolean row_authentic(const KvAuditRow *row, gboolean keyed, const guint8 *key)
{
    guint8 mac[32];
    if (!keyed)
        return TRUE;
    if (!row->mac)
        return FALSE;
    row_mac(key, row->hash, mac);
    return CRYPTO_memcmp(mac, row->mac, 32) == 0;
}

/* A meter's two sums, in the log's order: [0] the credit cleared its
 * refunds paid back or its swap carried (what credit_clears.refunded must
 * add up to), [1] the credit cleared so far. */
static gint64 *meter_sums(GHashTable *refunded, const char *object)
{
    gint64 *sums = g_hash_table_lookup(refunded, object);
    if (!sums)
        g_hash_table_insert(refunded, g_strdup(object), sums = g_new0(gint64, 2));
    return sums;
}

/* The meter.credit-cleared rows (clears: "meter:N/TOTAL" -> AuditedClear)
 * and, per meter (refunded: "meter:N" -> meter_sums), the energy its
 * refund.cleared rows paid back, or all it had cleared when a meter.swap
 * carried its credit to another meter (kv-swap.c marks it all refunded),
 * of one meter's object (or all); rows that do not prove themselves are
 * problems and count for nothing.  INDEXED BY: for the OR the planner
 * would read the whole log; the partial index holds these rows only
 * (db/010-debt-audit.sql). */
static gboolean read_clear_rows(KvStation *st, const char *object, GHashTable *clears,
                                GHashTable *refunded, GPtrArray *problems, GError **error)
{
    /* The rows of the one meter asked for, their object read through the
     * view audit (a row kept as text and one kept as a number alike); only
     * those are hashed again below. */
    static const char sql[] = "SELECT r.id FROM audit_rows r INDEXED BY audit_clears "
                              "JOIN audit a ON a.id = r.id WHERE r.action IN (2, 3, 4) "
                              "AND (?1 = '' OR a.object = ?1) ORDER BY r.id";
    g_autoptr(KvStmt) s = kv_db_query(st, sql, error, KV_DB_VALUES(KV_TEXT(object)));
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    guint8 key[KV_AUDIT_KEY_LEN];
    gboolean keyed;
    int rc;
    if (!s)
        return FALSE;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(s, 0);
        g_array_append_val(ids, id);
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading the audit log"));
        return FALSE;
    }
    sqlite3_reset(s);
    keyed = kv_keystore_audit_key(st->keys, key);
    for (guint i = 0; i < ids->len; i++) {
        gint64 id = g_array_index(ids, gint64, i);
        g_autoptr(KvAuditIter) it = kv_audit_iter_new(st, id, id, error);
        const KvAuditRow *row = it ? kv_audit_iter_next(it, error) : NULL;
        AuditedClear c = { 0 };
        gint64 total = 0, refund = 0, energy = 0;
        if (!row) {
            if (error && *error) {
                OPENSSL_cleanse(key, sizeof key);
                return FALSE;
            }
            continue; /* (the key is still needed for the rows after) */
        }
        if (!row_authentic(row, keyed, key)) {
            g_ptr_array_add(problems,
                            g_strdup_printf(_("audit row %" PRId64 " (%s %s) does not prove "
                                            "itself (its hash or keyed MAC is wrong): the "
                                            "credit cleared or refunded it records is not "
                                            "trusted"), row->id, row->action, row->object));
        } else if (strcmp(row->action, "meter.credit-cleared") == 0 &&
                   sscanf(row->detail, "amount=%" G_GINT64_MODIFIER "d cleared_total=%"
                          G_GINT64_MODIFIER "d card=%" G_GINT64_MODIFIER "d counter=%"
                          G_GINT64_MODIFIER "d", &c.amount, &total, &c.card, &c.counter) == 4) {
            c.audit_id = row->id;
            g_hash_table_insert(clears, g_strdup_printf("%s/%" G_GINT64_FORMAT, row->object, total),
                                g_memdup2(&c, sizeof c));
            meter_sums(refunded, row->object)[1] += c.amount;
        } else if (strcmp(row->action, "refund.cleared") == 0 &&
                   sscanf(row->detail, "refund=%" G_GINT64_MODIFIER "d energy=%"
                          G_GINT64_MODIFIER "d", &refund, &energy) == 2) {
            meter_sums(refunded, row->object)[0] += energy;
        } else if (strcmp(row->action, "meter.swap") == 0) {
            gint64 *sums = meter_sums(refunded, row->object);
            sums[0] = sums[1];
        }
    }
    OPENSSL_cleanse(key, sizeof key);
    return TRUE;
}

gboolean kv_audit_check_clears(KvStation *st, guint32 meter, GPtrArray *problems, GError **error)
{
    g_autofree char *object = meter ? g_strdup_printf("meter:%09u", meter) : g_strdup("");
    g_autoptr(GHashTable) clears = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) audited = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) marked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(KvStmt) s = NULL;
    GHashTableIter it;
    gpointer k, v;
    int rc;

    if (!read_clear_rows(st, object, clears, audited, problems, error) ||
        !(s = kv_db_query(st, "SELECT id, meter_number, cleared_total, amount, card_serial, "
                              "readback_counter, refunded FROM credit_clears WHERE ?1 = 0 OR "
                              "meter_number = ?1 ORDER BY id", error,
                          KV_DB_VALUES(KV_INT(meter)))))
        return FALSE;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(s, 0), amount = sqlite3_column_int64(s, 3);
        guint32 m = (guint32)sqlite3_column_int64(s, 1);
        g_autofree char *obj = g_strdup_printf("meter:%09u", m);
        g_autofree char *key = g_strdup_printf("%s/%" G_GINT64_FORMAT, obj,
                                               (gint64)sqlite3_column_int64(s, 2));
        g_autofree char *kwh = kv_energy_format(amount);
        AuditedClear *c = g_hash_table_lookup(clears, key);
        gint64 *sum = g_hash_table_lookup(marked, obj);
        if (!sum)
            g_hash_table_insert(marked, g_strdup(obj), sum = g_new0(gint64, 1));
        *sum += sqlite3_column_int64(s, 6);
        if (!c) {
            g_ptr_array_add(problems,
                            g_strdup_printf(_("credit cleared %" PRId64 " (meter %09u, %s kWh) "
                                            "has no meter.credit-cleared audit row: it was "
                                            "written behind the station's back"), id, m, kwh));
            continue;
        }
        c->matched = TRUE;
        if (c->amount != amount || c->card != sqlite3_column_int64(s, 4) ||
            c->counter != sqlite3_column_int64(s, 5)) {
            g_autofree char *was = kv_energy_format(c->amount);
            g_ptr_array_add(problems,
                            g_strdup_printf(_("credit cleared %" PRId64 " (meter %09u) differs "
                                            "from its audit row %" PRId64 ": %s kWh now, %s kWh "
                                            "audited (or another card or readback): changed "
                                            "behind the station's back"), id, m, c->audit_id,
                                            kwh, was));
        }
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db),
                        _("reading the credit cleared"));
        return FALSE;
    }
    g_hash_table_iter_init(&it, clears);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (!((AuditedClear *)v)->matched)
            g_ptr_array_add(problems,
                            g_strdup_printf(_("audit row %" PRId64 " records credit cleared "
                                            "(%s) that is not in the ledger (deleted)"),
                                            ((AuditedClear *)v)->audit_id, (char *)k));
    /* what is marked refunded is what the refunds' audit rows paid back */
    g_hash_table_iter_init(&it, audited);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (!g_hash_table_contains(marked, k))
            g_hash_table_insert(marked, g_strdup(k), g_new0(gint64, 1));
    g_hash_table_iter_init(&it, marked);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        gint64 *paid = g_hash_table_lookup(audited, k), want = paid ? *paid : 0;
        if (*(gint64 *)v != want) {
            g_autofree char *a = kv_energy_format(*(gint64 *)v), *b = kv_energy_format(want);
            g_ptr_array_add(problems,
                            g_strdup_printf(_("%s: %s kWh of its credit cleared is marked "
                                            "refunded but its refunds' audit rows paid back %s "
                                            "kWh: changed behind the station's back"),
                                            (char *)k, a, b));
        }
    }
    return TRUE;
}

KvAuditReport *kv_audit_verify(KvStation *st, const char *anchor_hex, KvProgressFunc progress,
                               gpointer user_data, GCancellable *cancellable, GError **error)
{
    g_autoptr(KvAuditReport) r = NULL;
    g_autoptr(GHashTable) sale_last = NULL, debt_rows = NULL;
    g_autofree char *opening = NULL;
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
    debt_rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    w.debt_rows = debt_rows;
    w.expect_id = 1;
    w.anchor_hex = anchor_hex;
    w.anchor_found = anchor_hex == NULL;
    memcpy(w.prev, genesis, 32);
    r->keyed = kv_keystore_audit_key(st->keys, w.audit_key);
    walked = walk_chain(st, &w, progress, user_data, cancellable, error);
    OPENSSL_cleanse(w.audit_key, sizeof w.audit_key);
    opening = w.opening;
    if (!walked || !check_sales(st, r, sale_last, cancellable, error) ||
        !check_debts(st, r, &w, cancellable, error) ||
        !kv_audit_check_clears(st, 0, r->problems, error))
        return NULL;
    return g_steal_pointer(&r);
}
