/* kv-engineering.c - issuing engineering cards (what their readbacks
 * confirm is kv-readback.c). */
#include <string.h>

#include "kv-i18n.h"
#include "kv-cards.h"
#include "kv-engineering.h"
#include "kv-station-keys.h"
#include "kv-keyfile.h"
#include "kv-station-file.h"
#include "kv_util.h"
#include "kv-db.h"
#include "kv-audit-private.h"
#include "kv-test-point.h"
#include "kv-card-access.h"
#include "kv-readback.h"
#include "kv-anomalies-private.h"
#include "kv-registry-private.h"
#include "kv-station-private.h"
#include "kv-sync-state.h"
#include "kv-time.h"

static const struct {
    guint type;
    const char *name;
    guint kind;
} eng_types[] = {
    { KV_CARD_CHECK, "check", 0 },
    { KV_CARD_PARAMETER, "parameter", KV_TOKEN_PARAMETERS },
    { KV_CARD_CLEAR_TAMPER, "clear-tamper", KV_TOKEN_CLEAR_TAMPER },
    { KV_CARD_KEY_CHANGE, "key-change", KV_TOKEN_KEY_CHANGE },
    { KV_CARD_TEST, "test", KV_TOKEN_TEST },
    { KV_CARD_CLEAR_CREDIT, "clear-credit", KV_TOKEN_CLEAR_CREDIT },
};

const char *kv_engineering_type_name(guint card_type)
{
    for (guint i = 0; i < G_N_ELEMENTS(eng_types); i++)
        if (eng_types[i].type == card_type)
            return eng_types[i].name;
    return NULL;
}

guint kv_engineering_type_from_name(const char *name)
{
    for (guint i = 0; name && i < G_N_ELEMENTS(eng_types); i++)
        if (strcmp(eng_types[i].name, name) == 0)
            return eng_types[i].type;
    return 0;
}

/* The kind the ledger records (engineering_tokens.kind: 0 check, 2..5):
 * the card's type, whichever revision of its token. */
static guint ledger_kind(guint card_type)
{
    for (guint i = 0; i < G_N_ELEMENTS(eng_types); i++)
        if (eng_types[i].type == card_type)
            return eng_types[i].kind;
    return 0;
}

/* The token kind sealed on the card. */
static uint8_t token_kind(const KvEngineeringCard *c)
{
    if (c->card_type == KV_CARD_KEY_CHANGE && c->legacy)
        return KV_TOKEN_KEY_CHANGE;
    return (uint8_t)kv_card_token_kind((kv_card_type)c->card_type);
}

void kv_engineering_request_init(KvEngineeringRequest *req, guint card_type)
{
    memset(req, 0, sizeof *req);
    req->card_type = card_type;
    req->alarm_level = req->pretrip_level = req->hoarding_limit = -1;
    req->max_power = req->reconnect_delay = req->emergency_kwh = -1;
}

/* The allowance of the meter's newest parameter token that the meter
 * applied (its readback came back), 0 if none: the meter registry does
 * not keep it, the parameter card's readback reports it. */
static gboolean applied_emergency(KvStation *st, guint32 meter, gint64 *out, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st,
        "SELECT coalesce(emergency_kwh, 0) FROM engineering_tokens WHERE meter_number = ? "
        "AND kind = ? AND applied_at IS NOT NULL ORDER BY seq DESC LIMIT 1", error,
        KV_DB_VALUES(KV_INT(meter), KV_INT(KV_TOKEN_PARAMETERS)));
    if (s)
        *out = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    return s != NULL;
}

/* The token for the card (not sealed).  out->key_version etc. filled. */
static gboolean build_token(KvStation *st, const KvMeter *m, const KvEngineeringRequest *req,
                            KvEngineeringCard *c, kv_token *tok, GError **error)
{
    memset(tok, 0, sizeof *tok);
    tok->kind = token_kind(c);
    tok->key_version = (uint8_t)m->key_version;
    tok->seq = c->seq;
    c->key_version = m->key_version;
    switch (req->card_type) {
    case KV_CARD_PARAMETER: {
        gint64 a = req->alarm_level >= 0 ? req->alarm_level : m->alarm_level;
        gint64 p = req->pretrip_level >= 0 ? req->pretrip_level : m->pretrip_level;
        gint64 h = req->hoarding_limit >= 0 ? req->hoarding_limit : m->hoarding_limit;
        gint64 w = req->max_power >= 0 ? req->max_power : m->max_power;
        gint64 r = req->reconnect_delay >= 0 ? req->reconnect_delay : m->reconnect_delay;
        gint64 e = req->emergency_kwh;
        if (e < 0 && !applied_emergency(st, m->number, &e, error))
            return FALSE;
        if (e > 255) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("emergency allowance for meter %09u: whole kWh, 0 to 255"), m->number);
            return FALSE;
        }
        if (h < 1 || h > 0x7FFFFFFF || p > a || a >= h || w > 0x7FFFFFFF || r > 65535) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("parameters for meter %09u: pre-trip (%" PRId64 ") <= alarm (%"
                        PRId64 ") < hoarding limit (%" PRId64
                        "), all in 0.01 kWh, and a reconnect delay of at most 65535 s"),
                        m->number, p, a, h);
            return FALSE;
        }
        c->alarm_level = tok->u.params.alarm_level = (uint32_t)a;
        c->pretrip_level = tok->u.params.pretrip_level = (uint32_t)p;
        c->hoarding_limit = tok->u.params.hoarding_limit = (uint32_t)h;
        c->max_power = tok->u.params.max_power = (uint32_t)w;
        c->reconnect_delay = tok->u.params.reconnect_delay = (uint16_t)r;
        c->emergency_kwh = tok->u.params.emergency_kwh = (uint8_t)e;
        break;
    }
    case KV_CARD_KEY_CHANGE: {
        guint v = kv_station_key_current(st);
        if (!kv_station_require_keys(st, error) ||
            !kv_keystore_derive(st->keys, KV_KEY_KIND_METER, v, st->settings.utility_code,
                                m->number, tok->u.key_change.new_k_meter, error))
            return FALSE;
        tok->u.key_change.new_key_version = (uint8_t)v;
        c->new_key_version = v;
        break;
    }
    default:
        break;
    }
    return TRUE;
}

static void set_issued_at(kv_token *tok, guint32 at)
{
    switch (tok->kind) {
    case KV_TOKEN_PARAMETERS: tok->u.params.issued_at = at; break;
    case KV_TOKEN_KEY_CHANGE:
    case KV_TOKEN_KEY_CHANGE_T: tok->u.key_change.issued_at = at; break;
    default: tok->u.issued_at = at; break;
    }
}

static char *eng_detail(const KvEngineeringCard *c)
{
    const char *name = kv_engineering_type_name(c->card_type);
    switch (c->card_type) {
    case KV_CARD_PARAMETER:
        return g_strdup_printf("meter=%09u type=%s seq=%u alarm=%u pretrip=%u hoarding=%u "
                               "max_power=%u reconnect=%u emergency_kwh=%u", c->meter_number,
                               name, c->seq, c->alarm_level, c->pretrip_level, c->hoarding_limit,
                               c->max_power, c->reconnect_delay, c->emergency_kwh);
    case KV_CARD_KEY_CHANGE:
        return g_strdup_printf("meter=%09u type=%s seq=%u from=%u to=%u%s", c->meter_number, name,
                               c->seq, c->key_version, c->new_key_version,
                               c->legacy ? " legacy=1 (sealed under the replaced key: forced)"
                                         : "");
    default:
        return g_strdup_printf("meter=%09u type=%s seq=%u", c->meter_number, name, c->seq);
    }
}

/* Inside a transaction: the token's row, the meter's sequence, the key
 * change under way. */
static gboolean record_token(KvStation *st, const KvEngineeringCard *c, guint32 issued_at,
                             GError **error)
{
    gboolean params = c->card_type == KV_CARD_PARAMETER;
    gboolean key_change = c->card_type == KV_CARD_KEY_CHANGE;
    g_autoptr(KvStmt) u = NULL;
    if (!kv_db_run(st, "INSERT INTO engineering_tokens(card_serial, meter_number, kind, seq, "
                       "key_version, alarm_level, pretrip_level, hoarding_limit, max_power, "
                       "reconnect_delay, new_key_version, issued_at, issued_by, "
                       "emergency_kwh) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   _("recording the engineering token"), error,
                   KV_DB_VALUES(KV_INT(c->serial), KV_INT(c->meter_number),
                                KV_INT(ledger_kind(c->card_type)), KV_INT(c->seq),
                                KV_INT(c->key_version),
                                params ? KV_INT(c->alarm_level) : KV_NULL,
                                params ? KV_INT(c->pretrip_level) : KV_NULL,
                                params ? KV_INT(c->hoarding_limit) : KV_NULL,
                                params ? KV_INT(c->max_power) : KV_NULL,
                                params ? KV_INT(c->reconnect_delay) : KV_NULL,
                                key_change ? KV_INT(c->new_key_version) : KV_NULL,
                                KV_INT(issued_at), KV_INT_OR_NULL(kv_station_user_id(st)),
                                params ? KV_INT(c->emergency_kwh) : KV_NULL)))
        return FALSE;
    u = kv_db_query(st, "UPDATE meters SET last_seq = max(last_seq, ?1), key_version_target = "
                        "CASE WHEN ?2 > 0 THEN ?2 ELSE key_version_target END WHERE number = ?3",
                    error, KV_DB_VALUES(KV_INT(c->seq), KV_INT(c->new_key_version),
                                        KV_INT(c->meter_number)));
    if (!u)
        return FALSE;
    return kv_db_step_done(st, u, _("recording the engineering token"), error);
}

/* The stored token of an interrupted issue, rebuilt exactly (same seq and
 * body: the station never seals two bodies under one sequence). */
static gboolean load_token(KvStation *st, guint32 serial, KvEngineeringCard *c, guint32 *issued_at,
                           GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st,
        "SELECT seq, key_version, coalesce(alarm_level, 0), coalesce(pretrip_level, 0), "
        "coalesce(hoarding_limit, 0), coalesce(max_power, 0), coalesce(reconnect_delay, 0), "
        "coalesce(new_key_version, 0), issued_at, coalesce(emergency_kwh, 0) "
        "FROM engineering_tokens WHERE card_serial = ? "
        "ORDER BY id DESC LIMIT 1", error, KV_DB_VALUES(KV_INT(serial)));
    if (!s)
        return FALSE;
    if (sqlite3_step(s) != SQLITE_ROW) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED,
                    _("card %u: its token is not in the ledger"), serial);
        return FALSE;
    }
    c->seq = (guint32)sqlite3_column_int64(s, 0);
    c->key_version = (guint)sqlite3_column_int(s, 1);
    c->alarm_level = (guint32)sqlite3_column_int64(s, 2);
    c->pretrip_level = (guint32)sqlite3_column_int64(s, 3);
    c->hoarding_limit = (guint32)sqlite3_column_int64(s, 4);
    c->max_power = (guint32)sqlite3_column_int64(s, 5);
    c->reconnect_delay = (guint)sqlite3_column_int64(s, 6);
    c->new_key_version = (guint)sqlite3_column_int(s, 7);
    *issued_at = (guint32)sqlite3_column_int64(s, 8);
    c->emergency_kwh = (guint)sqlite3_column_int64(s, 9);
    return TRUE;
}

/* Does the ledger hold a token for this card? */
static gboolean token_recorded(KvStation *st, guint32 serial)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT 1 FROM engineering_tokens WHERE card_serial = ?",
                                      NULL, KV_DB_VALUES(KV_INT(serial)));
    if (!s)
        return TRUE; /* load_token reports the error */
    return sqlite3_step(s) == SQLITE_ROW;
}

/* The stored token as a kv_token (key-change: the new key derived again). */
static gboolean stored_token(KvStation *st, const KvMeter *m, const KvEngineeringCard *c,
                             guint32 issued_at, kv_token *tok, GError **error)
{
    memset(tok, 0, sizeof *tok);
    tok->kind = token_kind(c);
    tok->key_version = (uint8_t)c->key_version;
    tok->seq = c->seq;
    if (c->card_type == KV_CARD_PARAMETER) {
        tok->u.params.alarm_level = c->alarm_level;
        tok->u.params.pretrip_level = c->pretrip_level;
        tok->u.params.hoarding_limit = c->hoarding_limit;
        tok->u.params.max_power = c->max_power;
        tok->u.params.reconnect_delay = (uint16_t)c->reconnect_delay;
        tok->u.params.emergency_kwh = (uint8_t)c->emergency_kwh;
    } else if (c->card_type == KV_CARD_KEY_CHANGE) {
        if (!kv_keystore_derive(st->keys, KV_KEY_KIND_METER, c->new_key_version,
                                st->settings.utility_code, m->number,
                                tok->u.key_change.new_k_meter, error))
            return FALSE;
        tok->u.key_change.new_key_version = (uint8_t)c->new_key_version;
    }
    set_issued_at(tok, issued_at);
    return TRUE;
}

static gboolean check_role(KvStation *st, guint type, GError **error)
{
    if (!kv_engineering_type_name(type)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("unknown engineering card type 0x%02X (check, parameter, clear-tamper, "
                    "key-change, test, clear-credit)"), type);
        return FALSE;
    }
    if (!kv_station_require(st, type == KV_CARD_KEY_CHANGE ? KV_ROLE_ADMIN : KV_ROLE_SUPERVISOR,
                            error))
        return FALSE;
    if (!kv_station_require_keys(st, error))
        return FALSE;
    return TRUE;
}

/* An interrupted issue of this type for this meter, or 0. */
static guint32 issuing_serial(KvStation *st, guint32 meter, guint type, char step[16])
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT serial, issue_step FROM cards WHERE "
                                          "meter_number = ? AND type = ? AND status = ? "
                                          "ORDER BY serial DESC LIMIT 1", NULL,
                                      KV_DB_VALUES(KV_INT(meter), KV_INT((int)type),
                                                   KV_CARD_STATUS(KV_CARD_STATUS_ISSUING)));
    guint32 serial = 0;
    if (!s)
        return 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        serial = (guint32)sqlite3_column_int64(s, 0);
        g_strlcpy(step, (const char *)sqlite3_column_text(s, 1), 16);
    }
    return serial;
}

/* A blank card (or the card of an interrupted issue): the whole card. */
static KvEngineeringCard *issue_new(KvStation *st, KvCardLink *card, KvMeter *m,
                                    const KvEngineeringRequest *req, guint32 resume_serial,
                                    const char *step, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree KvEngineeringCard *c = g_new0(KvEngineeringCard, 1);
    g_autofree char *obj = NULL, *detail = NULL;
    kv_token tok;
    guint32 issued_at = (guint32)kv_now();
    gboolean ok;

    c->meter_number = m->number;
    c->card_type = req->card_type;
    c->legacy = req->legacy_key_change;
    if (resume_serial && req->card_type == KV_CARD_CHECK && !token_recorded(st, resume_serial)) {
        /* Reserved by a release whose check cards carried no token: it
         * gets one now, recorded before anything is written. */
        guint32 base;
        c->serial = resume_serial;
        kv_meter_next_token(m, NULL, &c->seq, &base);
        if (!build_token(st, m, req, c, &tok, error))
            return NULL;
        kv_wipe(&tok, sizeof tok);
        if (!kv_txn_begin(&txn, st, error))
            return NULL;
        if (!record_token(st, c, issued_at, error) || !kv_txn_commit(&txn, error))
            return NULL;
    } else if (resume_serial) {
        c->serial = resume_serial;
        if (!load_token(st, resume_serial, c, &issued_at, error))
            return NULL;
    } else {
        guint32 base;
        if (!kv_txn_begin(&txn, st, error))
            return NULL;
        if (!(c->serial = kv_card_next_serial(st, error)))
            return NULL;
        kv_meter_next_token(m, NULL, &c->seq, &base);
        if (!build_token(st, m, req, c, &tok, error))
            return NULL;
        kv_wipe(&tok, sizeof tok);
        obj = g_strdup_printf("card:%u", c->serial);
        detail = eng_detail(c);
        if (!kv_db_run(st, "INSERT INTO cards(serial, meter_number, type, status, issue_step, "
                           "token_seq, issued_at, issued_by) VALUES (?, ?, ?, ?, "
                           "?, ?, ?, ?)", _("reserving the card"), error,
                       KV_DB_VALUES(KV_INT(c->serial), KV_INT(m->number), KV_INT(c->card_type),
                                    KV_CARD_STATUS(KV_CARD_STATUS_ISSUING),
                                    KV_CARD_STEP(KV_CARD_STEP_RESERVED),
                                    KV_INT(c->seq), KV_INT(issued_at),
                                    KV_INT_OR_NULL(kv_station_user_id(st)))) ||
            !record_token(st, c, issued_at, error) ||
            !kv_audit_append(st, "card.engineering-issuing", obj, detail, error) ||
            !kv_txn_commit(&txn, error))
            return NULL;
        g_clear_pointer(&obj, g_free);
        g_clear_pointer(&detail, g_free);
    }
    kv_test_point("issue-reserved");
    if (!stored_token(st, m, c, issued_at, &tok, error))
        return NULL;
    ok = kv_card_personalise(st, card, m, c->serial, c->card_type, &tok, step, error);
    kv_wipe(&tok, sizeof tok);
    if (!ok)
        return NULL;
    detail = eng_detail(c);
    if (!kv_card_step(st, c->serial, KV_CARD_STATUS_ACTIVE, KV_CARD_STEP_DONE, "card.engineering", detail,
                      error))
        return NULL;
    return g_steal_pointer(&c);
}

/* An engineering card of this meter and type: a new token in its other slot. */
static KvEngineeringCard *reuse(KvStation *st, KvCardLink *card, KvMeter *m,
                                const KvEngineeringRequest *req, const kv_identity *id,
                                GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree KvEngineeringCard *c = g_new0(KvEngineeringCard, 1);
    g_autofree char *status = kv_card_status(st, id->card_serial);
    g_autofree char *obj = g_strdup_printf("card:%u", id->card_serial);
    g_autofree char *detail = NULL;
    g_autoptr(KvStmt) u = NULL;
    kv_card_view view, after;
    kv_token tok;
    guint8 slot[KV_SLOT_LEN];
    guint32 base, issued_at = (guint32)kv_now();
    kv_identity idc = *id;
    kv_err e;
    gboolean ok;

    if (g_strcmp0(status, kv_card_status_name(KV_CARD_STATUS_ACTIVE)) != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    status ? _("engineering card %u is %s: use a blank card")
                           : _("engineering card %u is not registered at this office%s: use a "
                             "blank card"), id->card_serial, status ? C_("card status", status) : "");
        return NULL;
    }
    c->serial = id->card_serial;
    c->meter_number = m->number;
    c->card_type = req->card_type;
    c->reused = TRUE;
    c->legacy = req->legacy_key_change;
    /* A check card too gets a new token: one of the first revision (no
     * token) is re-issued this way, and one whose token is under a key
     * version the meter has left is renewed. */
    if (!kv_card_view_for(st, card, m->number, &view, NULL, error))
        return NULL;
    kv_meter_next_token(m, NULL, &c->seq, &base);
    if (view.token_err == KV_OK && view.token.seq >= c->seq)
        c->seq = view.token.seq + 1;
    kv_wipe(&view.token, sizeof view.token);
    if (!build_token(st, m, req, c, &tok, error))
        return NULL;
    set_issued_at(&tok, issued_at);
    if (!kv_txn_begin(&txn, st, error))
        goto fail_tok;
    detail = eng_detail(c);
    if (!record_token(st, c, issued_at, error) ||
        !kv_audit_append(st, "card.engineering-writing", obj, detail, error) ||
        !kv_txn_commit(&txn, error)) {
        kv_txn_rollback(&txn);
        goto fail_tok;
    }
    {
        kv_meter_keys keys;
        if (!kv_meter_keys_derive(st, m->number, m->key_version, &keys, error))
            goto fail_tok;
        e = kv_meter_keys_seal(st, &keys, &idc, &tok, slot);
        kv_meter_keys_wipe(&keys);
    }
    kv_wipe(&tok, sizeof tok);
    if (e != KV_OK) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED, _("preparing the token: %s"),
                    kv_strerror(e));
        return NULL;
    }
    ok = kv_card_present_own_psc(st, card, m, c->serial, error) &&
         kv_card_link_write(card, kv_card_next_token_offset(&view), slot, KV_TOKEN_USED, error) &&
         kv_card_link_refresh(card, error) &&
         kv_card_view_for(st, card, m->number, &after, NULL, error);
    kv_wipe(slot, sizeof slot);
    if (!ok)
        return NULL;
    ok = after.token_err == KV_OK && after.token.seq == c->seq;
    kv_wipe(&after, sizeof after);
    if (!ok) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("card %u does not hold the new token after writing: insert it again and "
                    "issue again"), c->serial);
        return NULL;
    }
    if (!kv_txn_begin(&txn, st, error))
        return NULL;
    u = kv_db_stmt(st, "UPDATE cards SET token_seq = ? WHERE serial = ?", error);
    if (!u)
        goto fail;
    sqlite3_bind_int64(u, 1, c->seq);
    sqlite3_bind_int64(u, 2, c->serial);
    if (!kv_db_step_done(st, u, _("recording the card"), error) ||
        !kv_audit_append(st, "card.engineering", obj, detail, error) || !kv_txn_commit(&txn, error))
        goto fail;
    return g_steal_pointer(&c);
fail:
    return NULL;
fail_tok:
    kv_wipe(&tok, sizeof tok);
    return NULL;
}

KvEngineeringCard *kv_card_engineering(KvStation *st, KvCardLink *card, guint32 meter,
                                       const KvEngineeringRequest *req, GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    const guint8 *image;
    kv_identity id;
    kv_err e;
    char step[16];
    guint32 resume;

    if (!check_role(st, req->card_type, error) || !(m = kv_meter_get(st, meter, error)))
        return NULL;
    if (req->legacy_key_change && req->card_type != KV_CARD_KEY_CHANGE) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("the legacy key change goes with --type key-change only"));
        return NULL;
    }
    if (!kv_sync_require_current(st, _("issuing an engineering card"), error) ||
        (req->card_type == KV_CARD_KEY_CHANGE && !kv_sync_require_online(st, _("a key-change card"), error)))
        return NULL;
    if (req->card_type == KV_CARD_KEY_CHANGE) {
        guint cur = kv_station_key_current(st);
        if (m->key_version >= cur) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                        _("meter %09u is already on key version %u, the current one: no key "
                        "change needed (rotate first with `kilovendctl key rotate`)"), meter,
                        m->key_version);
            return NULL;
        }
    }
    g_strlcpy(step, kv_card_issue_step_name(KV_CARD_STEP_RESERVED), sizeof step);
    image = kv_card_link_image(card);
    e = kv_card_identity(image, &id);
    resume = issuing_serial(st, meter, req->card_type, step);
    if (resume && (e == KV_E_BLANK || (e == KV_OK && id.card_serial == resume))) {
        if (e != KV_OK && g_strcmp0(step, kv_card_issue_step_name(KV_CARD_STEP_RESERVED)) != 0) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                        _("the issue of card %u for meter %09u was interrupted after its identity "
                        "was written: insert that card to finish it"), resume, meter);
            return NULL;
        }
        return issue_new(st, card, m, req, resume, step, error);
    }
    if (e == KV_E_BLANK)
        return issue_new(st, card, m, req, 0, kv_card_issue_step_name(KV_CARD_STEP_RESERVED), error);
    if (e != KV_OK) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this card is not blank and not a Kilovend card (%s): use a blank card"),
                    kv_strerror(e));
        return NULL;
    }
    if (id.utility_code != st->settings.utility_code || id.meter_number != meter ||
        id.card_type != req->card_type) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this is a %s card of meter %09u (card %u): a %s card for meter %09u needs "
                    "a blank card or a %s card of that meter"),
                    kv_engineering_type_name(id.card_type) ? kv_engineering_type_name(id.card_type)
                                                           : "user",
                    id.meter_number, id.card_serial, kv_engineering_type_name(req->card_type),
                    meter, kv_engineering_type_name(req->card_type));
        return NULL;
    }
    return reuse(st, card, m, req, &id, error);
}

GArray *kv_meters_needing_key_change(KvStation *st, guint current, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    GArray *out;
    if (!current && !kv_station_require_keys(st, error))
        return NULL;
    s = kv_db_query(st, "SELECT number FROM meters WHERE key_version < ? AND status = ? "
                        "ORDER BY number", error,
                    KV_DB_VALUES(KV_INT((int)(current ? current : kv_station_key_current(st))),
                                 KV_METER_STATUS(KV_METER_STATUS_ACTIVE)));
    if (!s)
        return NULL;
    out = g_array_new(FALSE, FALSE, sizeof(guint32));
    while (sqlite3_step(s) == SQLITE_ROW) {
        guint32 n = (guint32)sqlite3_column_int64(s, 0);
        g_array_append_val(out, n);
    }
    return out;
}

guint kv_station_rotate_key(KvStation *st, const char *keys_path, const char *passphrase,
                            GArray **needing, GError **error)
{
    guint v;
    char buf[12];

    if (!kv_station_require(st, KV_ROLE_ADMIN, error) ||
        !(v = kv_keyfile_rotate(keys_path, passphrase, error)))
        return 0;
    g_snprintf(buf, sizeof buf, "%u", v);
    if (!kv_station_set_setting(st, "key_version", buf, error))
        return 0;
    if (needing && !(*needing = kv_meters_needing_key_change(st, v, error)))
        return 0;
    return v;
}
