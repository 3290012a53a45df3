/* kv-card-access.c - the core's hands on a card: decoded with its meter's
 * keys, its PSC presented, a reserved card written, its record stepped. */
#include "kv-i18n.h"
#include "kv-audit-private.h"
#include "kv-card-access.h"
#include "kv-db.h"
#include "kv-meter-keys.h"
#include "kv-test-point.h"
#include "kv_util.h"

#define OFFICE_SERIAL_BITS 20

gboolean kv_card_view_for(KvStation *st, KvCardLink *card, guint32 expect_meter,
                          kv_card_view *view, KvMeter **meter_out, GError **error)
{
    const guint8 *image = kv_card_link_image(card);
    kv_identity id;
    kv_meter_keys keys;
    KvMeter *m;
    kv_err e = kv_card_identity(image, &id);

    memset(view, 0, sizeof *view);
    if (e == KV_E_BLANK) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this is a blank card: it was never issued (issue it with `card issue`)"));
        return FALSE;
    }
    if (e != KV_OK) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this card is damaged or not a Kilovend card (%s)"), kv_strerror(e));
        return FALSE;
    }
    if (id.utility_code != st->settings.utility_code) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this card belongs to another utility (code %u)"), id.utility_code);
        return FALSE;
    }
    if (expect_meter && id.meter_number != expect_meter) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this is the card of meter %09u, not of meter %09u"), id.meter_number,
                    expect_meter);
        return FALSE;
    }
    if (!(m = kv_meter_get(st, id.meter_number, error)))
        return FALSE;
    if (!kv_meter_keys_derive(st, m->number, m->key_version, &keys, error)) {
        kv_meter_free(m);
        return FALSE;
    }
    e = kv_card_decode(&keys, image, view);
    kv_meter_keys_wipe(&keys);
    if (e == KV_OK && m->key_version_target && m->key_version_target != m->key_version) {
        /* A key change is under way: the meter may already write its
         * readbacks under the new version. */
        kv_card_view v2;
        if (!kv_meter_keys_derive(st, m->number, m->key_version_target, &keys, error)) {
            kv_meter_free(m);
            return FALSE;
        }
        if (kv_card_decode(&keys, image, &v2) == KV_OK && v2.readback_err == KV_OK &&
            (view->readback_err != KV_OK || v2.readback.counter > view->readback.counter)) {
            view->readback_err = KV_OK;
            view->readback = v2.readback;
            view->readback_slot = v2.readback_slot;
            view->readback_torn = FALSE;
        }
        kv_meter_keys_wipe(&keys);
        kv_wipe(&v2, sizeof v2);
    }
    if (e != KV_OK) {
        kv_meter_free(m);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD, _("cannot decode the card: %s"),
                    kv_strerror(e));
        return FALSE;
    }
    if (meter_out)
        *meter_out = m;
    else
        kv_meter_free(m);
    return TRUE;
}

gboolean kv_card_present_own_psc(KvStation *st, KvCardLink *card, const KvMeter *m,
                                 guint32 serial, GError **error)
{
    kv_meter_keys keys;
    guint8 psc[KV_PSC_LEN];
    gboolean ok;
    if (!kv_meter_keys_derive(st, m->number, m->key_version, &keys, error))
        return FALSE;
    kv_card_psc(&keys, serial, psc);
    kv_meter_keys_wipe(&keys);
    ok = kv_card_link_present_psc(card, psc, FALSE, error);
    kv_wipe(psc, sizeof psc);
    return ok;
}

char *kv_card_status(KvStation *st, guint32 serial)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT status FROM cards WHERE serial = ?", NULL,
                                      KV_DB_VALUES(KV_INT(serial)));
    if (!s)
        return NULL;
    return sqlite3_step(s) == SQLITE_ROW ? kv_db_col_text(s, 0) : NULL;
}

guint32 kv_card_next_serial(KvStation *st, GError **error)
{
    guint32 office = st->settings.station_no;
    gint64 lo = (gint64)office << OFFICE_SERIAL_BITS;
    gint64 hi = lo + (1 << OFFICE_SERIAL_BITS) - 1;
    g_autoptr(KvStmt) s = NULL;
    gint64 n;
    if (office >= (1u << (32 - OFFICE_SERIAL_BITS)) - 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("station number %u is too large to number cards (at most 4094)"), office);
        return 0;
    }
    s = kv_db_query(st, "SELECT coalesce(max(serial), ?1) FROM cards "
                        "WHERE serial BETWEEN ?1 AND ?2", error,
                    KV_DB_VALUES(KV_INT(lo), KV_INT(hi)));
    if (!s)
        return 0;
    n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) + 1 : 0;
    if (n <= lo || n > hi) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED,
                    _("this office has used all its card serial numbers"));
        return 0;
    }
    return (guint32)n;
}

gboolean kv_card_step(KvStation *st, guint32 serial, KvCardStatus status, KvCardIssueStep step,
                          const char *action, const char *detail, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *obj = g_strdup_printf("card:%u", serial);
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    s = kv_db_query(st, "UPDATE cards SET status = ?, issue_step = ? WHERE serial = ?", error,
                    KV_DB_VALUES(KV_CARD_STATUS(status), KV_CARD_STEP(step), KV_INT(serial)));
    if (!s)
        return FALSE;
    if (!kv_db_step_done(st, s, _("recording the card"), error) ||
        (action && !kv_audit_append(st, action, obj, detail, error)) || !kv_txn_commit(&txn, error))
        return FALSE;
    return TRUE;
}

/* Everything on the card for a reserved card record, resumable: identity,
 * the token (check cards too carry one since the second revision), the lock, the PSC
 * change.  The token is sealed under tok->key_version. */
gboolean kv_card_personalise(KvStation *st, KvCardLink *card, const KvMeter *m, guint32 serial,
                           guint card_type, const kv_token *tok, const char *step,
                           GError **error)
{
    const KvSettings *set = &st->settings;
    kv_identity id = { KV_FORMAT_VERSION, (uint8_t)card_type, set->utility_code, serial,
                       m->number, (uint8_t)m->psc_key_version };
    guint8 idb[KV_ID_LEN], slot[KV_SLOT_LEN], psc[KV_PSC_LEN];
    kv_meter_keys keys;
    gboolean ok = FALSE;
    kv_err e;

    if (!kv_meter_keys_derive(st, m->number, tok ? tok->key_version : m->key_version, &keys,
                               error))
        return FALSE;
    kv_card_psc(&keys, serial, psc);
    if ((e = kv_identity_encode(&id, idb)) != KV_OK ||
        (tok && (e = kv_meter_keys_seal(st, &keys, &id, tok, slot)) != KV_OK)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED, _("preparing the card: %s"),
                    kv_strerror(e));
        goto out;
    }
    if (g_strcmp0(step, kv_card_issue_step_name(KV_CARD_STEP_PSC_CHANGING)) != 0) {
        /* The card still has its factory PSC: change it is the last step. */
        if (!kv_card_link_present_psc(card, set->factory_psc, FALSE, error)) {
            g_prefix_error(error, _("presenting the factory PSC (is this a blank card?): "));
            goto out;
        }
        if (!kv_card_link_write(card, KV_ID_OFF, idb, KV_ID_LEN, error) ||
            (tok && !kv_card_link_write(card, KV_TOKEN_A, slot, KV_TOKEN_USED, error)))
            goto out;
        kv_test_point("issue-written");
        if (kv_card_link_protection(card) != 0 && !kv_card_link_lock_identity(card, error))
            goto out;
        if (!kv_card_step(st, serial, KV_CARD_STATUS_ISSUING, KV_CARD_STEP_PSC_CHANGING, NULL, NULL,
                          error))
            goto out;
        kv_test_point("issue-psc-changing");
    } else {
        /* Interrupted around the PSC change: the card has either PSC.  Try
         * the new one; if refused (one try lost), the factory one with force,
         * whose success resets the counter to 3 (docs/station.md). */
        g_autoptr(GError) first = NULL;
        if (!kv_card_link_present_psc(card, psc, FALSE, &first)) {
            if (!kv_card_link_present_psc(card, set->factory_psc, TRUE, error)) {
                g_prefix_error(error, _("resuming the issue of card %u: "), serial);
                goto out;
            }
        }
    }
    if (!kv_card_link_change_psc(card, psc, error))
        goto out;
    kv_test_point("issue-psc-changed");
    ok = TRUE;
out:
    kv_meter_keys_wipe(&keys);
    kv_wipe(psc, sizeof psc);
    kv_wipe(slot, sizeof slot);
    return ok;
}
