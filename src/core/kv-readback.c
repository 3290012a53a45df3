/* kv-readback.c - a readback brought back on a card: checked against the
 * order of the stored ones, stored, and what it tells (a key change or
 * parameters confirmed, more loaded than sold). */
#include "kv-i18n.h"
#include "kv-anomalies-private.h"
#include "kv-audit-private.h"
#include "kv-clears.h"
#include "kv-db.h"
#include "kv-meter-keys.h"
#include "kv-readback.h"
#include "kv_util.h"

/* The card's other readback slot, when it holds a MAC-verified readback
 * older than the one the view chose. */
static gboolean older_readback(KvStation *st, const KvMeter *m, const kv_card_view *view,
                               const guint8 *image, kv_readback *out)
{
    guint off = view->readback_slot ? KV_READBACK_A : KV_READBACK_B;
    guint versions[2] = { m->key_version, m->key_version_target };
    for (guint i = 0; i < G_N_ELEMENTS(versions); i++) {
        kv_meter_keys keys;
        kv_err e;
        if (!versions[i] || !kv_meter_keys_derive(st, m->number, versions[i], &keys, NULL))
            continue;
        e = kv_readback_open(&keys, &view->id, image + off, out);
        kv_meter_keys_wipe(&keys);
        if (e == KV_OK && out->counter < view->readback.counter)
            return TRUE;
    }
    return FALSE;
}

gboolean kv_readback_import(KvStation *st, const KvMeter *m, const kv_card_view *view,
                            const guint8 *image, gboolean *imported, gboolean *anomaly,
                            GString *notes, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    kv_readback older;
    gboolean backwards = FALSE, excess = FALSE, cleared = FALSE;
    g_autoptr(KvStmt) u = NULL;
    const kv_readback *rb = &view->readback;
    guint32 meter = m->number, card_serial = view->id.card_serial;
    g_autofree char *obj = g_strdup_printf("meter:%09u", meter);
    g_autofree char *detail = NULL;
    gboolean added;
    if (imported)
        *imported = FALSE;
    if (anomaly)
        *anomaly = FALSE;
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    /* A readback whose counter, loaded total or energy is below the last
     * one stored: the meter lost its memory (or a card carries a reading
     * the station never saw, older than the last); an alarm, kept even
     * when the reading itself is not imported. */
    if (image && older_readback(st, m, view, image, &older)) {
        gboolean back2 = FALSE;
        if (!kv_readback_check_order(st, meter, card_serial, &older, TRUE, &back2, notes, error))
            return FALSE;
        backwards = back2;
    }
    kv_wipe(&older, sizeof older);
    {
        gboolean back1 = FALSE;
        if (!kv_readback_check_order(st, meter, card_serial, rb, FALSE, &back1, notes, error))
            return FALSE;
        backwards = backwards || back1;
    }
    if (backwards && anomaly)
        *anomaly = TRUE;
    /* A clear-credit card's report counts even when a newer readback of
     * the meter came in first: what it proves does not go out of date. */
    if (!kv_clears_record(st, m, view, &cleared, error))
        return FALSE;
    {
        /* Only a readback newer than the last one stored for the meter is
         * imported: an older one (a dump of the card restored after a newer
         * readback reached the station) is not recorded as a reading. */
        g_autoptr(KvStmt) old = kv_db_query(st, "SELECT count(*) FROM meters WHERE number = ?1 "
                                                "AND rb_counter >= ?2", error,
                                            KV_DB_VALUES(KV_INT(meter), KV_INT(rb->counter)));
        if (!old)
            return FALSE;
        if (!kv_db_step_done(st, old, _("reading the meter's last readback"), error))
            return FALSE;
        if (sqlite3_column_int(old, 0) > 0)
            goto not_imported;
    }
    if (!kv_db_run(st, "INSERT INTO meter_readings(meter_number, card_serial, read_at, counter, "
                       "status, key_version, remaining, cumulative_loaded, total_energy, energy_l1, "
                       "energy_l2, energy_l3, last_seq, result, events, sold_then) VALUES (?1, ?2, "
                       "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, (SELECT "
                       "cumulative_sold FROM meters WHERE number = ?1)) "
                       "ON CONFLICT(meter_number, counter) DO NOTHING",
                   _("storing the meter reading"), error,
                   KV_DB_VALUES(KV_INT(meter), KV_INT(card_serial), KV_INT(kv_now()),
                                KV_INT(rb->counter), KV_INT(rb->status), KV_INT(rb->key_version),
                                KV_INT(rb->remaining), KV_INT(rb->cumulative_loaded),
                                KV_INT(rb->total_energy), KV_INT(rb->phase_energy[0]),
                                KV_INT(rb->phase_energy[1]), KV_INT(rb->phase_energy[2]),
                                KV_INT(rb->last_seq), KV_INT(rb->result),
                                KV_BLOB(rb->events, KV_READBACK_EVENTS))))
        return FALSE;
    added = sqlite3_changes(st->db) == 1;
    if (!added)
        goto not_imported;
    u = kv_db_query(st, "UPDATE meters SET rb_counter = ?1, rb_remaining = ?2, "
                        "rb_cumulative_loaded = ?3, rb_last_seq = ?4, rb_status = ?5, rb_at = ?6 "
                        "WHERE number = ?7 AND (rb_counter IS NULL OR rb_counter < ?1)", error,
                    KV_DB_VALUES(KV_INT(rb->counter), KV_INT(rb->remaining),
                                 KV_INT(rb->cumulative_loaded), KV_INT(rb->last_seq),
                                 KV_INT(rb->status), KV_INT(kv_now()), KV_INT(meter)));
    if (!u)
        return FALSE;
    detail = g_strdup_printf("counter=%u remaining=%d loaded=%u total=%u last_seq=%u", rb->counter,
                             rb->remaining, rb->cumulative_loaded, rb->total_energy, rb->last_seq);
    if (!kv_db_step_done(st, u, _("storing the meter reading"), error) ||
        !kv_audit_append(st, "meter.reading", obj, detail, error) ||
        !kv_readback_effects(st, m, view, rb, &excess, error) || !kv_txn_commit(&txn, error))
        return FALSE;
    if (anomaly && excess)
        *anomaly = TRUE;
    if (imported)
        *imported = TRUE;
    return TRUE;
not_imported:
    if (!backwards && !cleared)
        return TRUE;
    return kv_txn_commit(&txn, error);
}

/* A readback MAC-verified under the meter's target key version: the meter
 * took its key change token and moved. */
static gboolean confirm_key_change(KvStation *st, const KvMeter *m, const kv_readback *rb,
                                   const char *obj, GError **error)
{
    g_autoptr(KvStmt) u = NULL, a = NULL;
    g_autofree char *d = NULL;

    if (!m->key_version_target || rb->key_version != m->key_version_target)
        return TRUE;
    u = kv_db_query(st, "UPDATE meters SET key_version = ?, key_version_target = NULL "
                        "WHERE number = ?", error,
                    KV_DB_VALUES(KV_INT(rb->key_version), KV_INT(m->number)));
    if (!u)
        return FALSE;
    if (!kv_db_step_done(st, u, _("recording the key change"), error))
        return FALSE;
    a = kv_db_query(st, "UPDATE engineering_tokens SET applied_at = ? WHERE meter_number = ? "
                        "AND kind = ? AND new_key_version = ? AND applied_at IS NULL", error,
                    KV_DB_VALUES(KV_INT(kv_now()), KV_INT(m->number), KV_INT(KV_TOKEN_KEY_CHANGE),
                                 KV_INT(rb->key_version)));
    if (!a)
        return FALSE;
    d = g_strdup_printf("from=%u to=%u counter=%u", m->key_version, rb->key_version,
                        rb->counter);
    return kv_db_step_done(st, a, _("recording the key change"), error) &&
           kv_audit_append(st, "meter.key-changed", obj, d, error);
}

/* The readback on a parameter card after the meter took its token: the
 * meter now works with those thresholds (a replay answer counts when this
 * card's token is the newest parameter token of the meter, so a second
 * insertion after a lost readback still confirms it). */
static gboolean confirm_parameters(KvStation *st, const KvMeter *m, const kv_card_view *view,
                                   const kv_readback *rb, const char *obj, GError **error)
{
    g_autoptr(KvStmt) q = NULL, u = NULL, a = NULL;
    g_autofree char *d = NULL;
    gint64 id, v[5];

    if (!view || view->id.card_type != KV_CARD_PARAMETER || view->token_err != KV_OK ||
        rb->last_seq < view->token.seq || (rb->result != KV_OK && rb->result != KV_E_REPLAY))
        return TRUE;
    q = kv_db_query(st, "SELECT id, alarm_level, pretrip_level, hoarding_limit, max_power, "
                        "reconnect_delay, applied_at IS NULL, seq = (SELECT max(seq) FROM "
                        "engineering_tokens WHERE meter_number = ?1 AND kind = ?4) FROM "
                        "engineering_tokens WHERE meter_number = ?1 AND card_serial = ?2 AND "
                        "seq = ?3 AND kind = ?4", error,
                    KV_DB_VALUES(KV_INT(m->number), KV_INT(view->id.card_serial),
                                 KV_INT(view->token.seq), KV_INT(KV_TOKEN_PARAMETERS)));
    if (!q)
        return FALSE;
    if (sqlite3_step(q) != SQLITE_ROW || !sqlite3_column_int(q, 6) ||
        (rb->result != KV_OK && !sqlite3_column_int(q, 7)))
        return TRUE;
    id = sqlite3_column_int64(q, 0);
    for (int i = 0; i < 5; i++)
        v[i] = sqlite3_column_int64(q, 1 + i);
    sqlite3_reset(q);
    u = kv_db_stmt(st, "UPDATE meters SET alarm_level = ?, pretrip_level = ?, "
                       "hoarding_limit = ?, max_power = ?, reconnect_delay = ? "
                       "WHERE number = ?", error);
    if (!u)
        return FALSE;
    for (int i = 0; i < 5; i++)
        sqlite3_bind_int64(u, 1 + i, v[i]);
    sqlite3_bind_int64(u, 6, m->number);
    if (!kv_db_step_done(st, u, _("recording the meter's parameters"), error))
        return FALSE;
    a = kv_db_query(st, "UPDATE engineering_tokens SET applied_at = ? WHERE id = ?", error,
                    KV_DB_VALUES(KV_INT(kv_now()), KV_INT(id)));
    if (!a)
        return FALSE;
    d = g_strdup_printf("seq=%u alarm=%" G_GINT64_FORMAT " pretrip=%" G_GINT64_FORMAT
                        " hoarding=%" G_GINT64_FORMAT " max_power=%" G_GINT64_FORMAT
                        " reconnect=%" G_GINT64_FORMAT, view->token.seq, v[0], v[1], v[2], v[3],
                        v[4]);
    return kv_db_step_done(st, a, _("recording the meter's parameters"), error) &&
           kv_audit_append(st, "meter.parameters", obj, d, error);
}

/* More loaded than this station ever sold: a restored dump of a card taken
 * before a cancel, or credit made with an extracted key
 * (docs/security-model.md).  What other offices sold counts once synced
 * (meter_remote: every office's completed sales, from head office); sales
 * of other offices not yet synced show here too, and the audit row says
 * what the card carried. */
static gboolean check_loaded_above_sold(KvStation *st, const KvMeter *m,
                                        const kv_card_view *view, const kv_readback *rb,
                                        const char *obj, gboolean *anomaly, GError **error)
{
    g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT max(cumulative_sold, coalesce((SELECT r.sold_energy "
                                         "FROM meter_remote r WHERE r.meter_number = meters.number), 0)) "
                                         "FROM meters WHERE number = ?", error);
    g_autofree char *d = NULL;
    GString *g;
    gint64 sold;

    if (!q)
        return FALSE;
    sqlite3_bind_int64(q, 1, m->number);
    sold = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    if ((gint64)rb->cumulative_loaded <= sold)
        return TRUE;
    g = g_string_new(NULL);
    g_string_printf(g, "loaded=%u sold=%" G_GINT64_FORMAT " excess=%" G_GINT64_FORMAT
                    " counter=%u card=%u", rb->cumulative_loaded, sold,
                    (gint64)rb->cumulative_loaded - sold, rb->counter,
                    view ? view->id.card_serial : 0);
    if (view && view->id.card_type == KV_CARD_USER && view->token_err == KV_OK)
        g_string_append_printf(g, " card_token_seq=%u card_token_cumulative=%u "
                               "card_token_office=%u", view->token.seq,
                               view->token.u.credit.cumulative, view->token.u.credit.office);
    d = g_string_free(g, FALSE);
    {
        KvAnomalyFacts a = { "loaded-above-sold", m->number, view ? view->id.card_serial : 0,
                             0, rb->last_seq, 0, (gint64)rb->cumulative_loaded - sold, d };
        if (!kv_anomaly_store(st, &a, NULL, NULL, NULL, NULL, error))
            return FALSE;
    }
    if (!kv_audit_append(st, "meter.anomaly", obj, d, error))
        return FALSE;
    if (anomaly)
        *anomaly = TRUE;
    return TRUE;
}

gboolean kv_readback_effects(KvStation *st, const KvMeter *m, const kv_card_view *view,
                             const kv_readback *rb, gboolean *anomaly, GError **error)
{
    g_autofree char *obj = g_strdup_printf("meter:%09u", m->number);

    if (anomaly)
        *anomaly = FALSE;
    return confirm_key_change(st, m, rb, obj, error) &&
           confirm_parameters(st, m, view, rb, obj, error) &&
           check_loaded_above_sold(st, m, view, rb, obj, anomaly, error);
}

/* The stored reading of the meter nearest below (below) or above counter:
 * its loaded total and energy.  FALSE if there is none. */
static gboolean neighbour(KvStation *st, guint32 meter, guint32 counter, gboolean below,
                          gint64 *loaded, gint64 *total)
{
    g_autoptr(KvStmt) s = below ? kv_db_stmt(st, "SELECT cumulative_loaded, total_energy FROM "
                                                 "meter_readings WHERE meter_number = ? AND "
                                                 "counter < ? ORDER BY counter DESC LIMIT 1", NULL)
                                : kv_db_stmt(st, "SELECT cumulative_loaded, total_energy FROM "
                                                 "meter_readings WHERE meter_number = ? AND "
                                                 "counter > ? ORDER BY counter LIMIT 1", NULL);
    if (!s)
        return FALSE;
    sqlite3_bind_int64(s, 1, meter);
    sqlite3_bind_int64(s, 2, counter);
    if (sqlite3_step(s) != SQLITE_ROW)
        return FALSE;
    *loaded = sqlite3_column_int64(s, 0);
    *total = sqlite3_column_int64(s, 1);
    return TRUE;
}

/* A reading the station never saw, older than its last: it fits if it
 * lies between the stored readings around its counter. */
static gboolean fits_between(KvStation *st, guint32 meter, const kv_readback *rb)
{
    gint64 l, t;
    if (neighbour(st, meter, rb->counter, TRUE, &l, &t) &&
        ((gint64)rb->cumulative_loaded < l || (gint64)rb->total_energy < t))
        return FALSE;
    if (neighbour(st, meter, rb->counter, FALSE, &l, &t) &&
        ((gint64)rb->cumulative_loaded > l || (gint64)rb->total_energy > t))
        return FALSE;
    return TRUE;
}

gboolean kv_readback_check_order(KvStation *st, guint32 meter, guint32 card,
                                 const kv_readback *rb, gboolean older_slot, gboolean *backwards,
                                 GString *notes, GError **error)
{
    g_autoptr(KvStmt) last = kv_db_stmt(st, "SELECT counter, cumulative_loaded, total_energy "
                                            "FROM meter_readings WHERE meter_number = ? "
                                            "ORDER BY counter DESC LIMIT 1", error);
    g_autoptr(KvStmt) same = NULL;
    gint64 l_counter, l_loaded, l_total, n_same = 0, n_counter = 0;
    GString *why;
    g_autofree char *detail = NULL;
    KvAnomalyFacts a = { "readback-backwards", meter, card, 0, 0, 0, 0, NULL };

    *backwards = FALSE;
    if (!last)
        return FALSE;
    sqlite3_bind_int64(last, 1, meter);
    if (sqlite3_step(last) != SQLITE_ROW)
        return TRUE; /* the first readback of the meter */
    l_counter = sqlite3_column_int64(last, 0);
    l_loaded = sqlite3_column_int64(last, 1);
    l_total = sqlite3_column_int64(last, 2);
    sqlite3_reset(last);

    /* A copy of a readback already stored (an old card, a second read of
     * the same card) tells nothing new. */
    same = kv_db_query(st, "SELECT count(*), coalesce(sum(cumulative_loaded = ?3 AND "
                           "total_energy = ?4 AND remaining = ?5 AND last_seq = ?6), 0) FROM "
                           "meter_readings WHERE meter_number = ?1 AND counter = ?2", error,
                       KV_DB_VALUES(KV_INT(meter), KV_INT(rb->counter),
                                    KV_INT(rb->cumulative_loaded), KV_INT(rb->total_energy),
                                    KV_INT(rb->remaining), KV_INT(rb->last_seq)));
    if (!same)
        return FALSE;
    if (sqlite3_step(same) == SQLITE_ROW) {
        n_counter = sqlite3_column_int64(same, 0);
        n_same = sqlite3_column_int64(same, 1);
    }
    sqlite3_reset(same);
    if (n_same > 0)
        return TRUE;
    /* The card's older slot holding a reading never imported (the meter
     * was visited twice between two reads at the office) is history, not
     * a meter going backwards, if it fits between the stored readings. */
    if (older_slot && n_counter == 0 && (gint64)rb->counter < l_counter &&
        fits_between(st, meter, rb))
        return TRUE;

    why = g_string_new(NULL);
    if ((gint64)rb->counter <= l_counter)
        g_string_append_printf(why, " counter %u<=%" G_GINT64_FORMAT, rb->counter, l_counter);
    if ((gint64)rb->cumulative_loaded < l_loaded)
        g_string_append_printf(why, " loaded %u<%" G_GINT64_FORMAT, rb->cumulative_loaded,
                               l_loaded);
    if ((gint64)rb->total_energy < l_total)
        g_string_append_printf(why, " total_energy %u<%" G_GINT64_FORMAT, rb->total_energy,
                               l_total);
    if (!why->len) {
        g_string_free(why, TRUE);
        return TRUE;
    }
    if (n_counter)
        g_string_append(why, " (the same counter was stored with other values)");
    detail = g_strdup_printf("readback went backwards:%s (counter=%u loaded=%u total=%u "
                             "last_seq=%u; last stored counter=%" G_GINT64_FORMAT " loaded=%"
                             G_GINT64_FORMAT " total=%" G_GINT64_FORMAT ")", why->str,
                             rb->counter, rb->cumulative_loaded, rb->total_energy, rb->last_seq,
                             l_counter, l_loaded, l_total);
    g_string_free(why, TRUE);
    a.token_seq = rb->last_seq;
    a.amount = MAX(0, l_loaded - (gint64)rb->cumulative_loaded);
    a.detail = detail;
    *backwards = TRUE;
    return kv_anomaly_store(st, &a, "meter.alarm", notes, NULL, NULL, error);
}
