/* kv-registry.c - customers, meters and tariffs. */
#include <string.h>

#include "kv-i18n.h"
#include "kv-arrears-private.h"
#include "kv-money.h"
#include "kv-registry-private.h"
#include "kv_card.h"
#include "kv-db.h"
#include "kv-audit-private.h"
#include "kv-csv.h"
#include "kv-station-private.h"
#include "kv-sync-state.h"
#include "kv-time.h"

void kv_customer_free(KvCustomer *c)
{
    if (!c)
        return;
    g_free(c->account);
    g_free(c->name);
    g_free(c->address);
    g_free(c->phone);
    g_free(c);
}

void kv_meter_free(KvMeter *m)
{
    if (!m)
        return;
    g_free(m->model);
    g_free(m->address);
    g_free(m->tariff_code);
    g_free(m->status);
    g_free(m);
}

void kv_search_hit_free(KvSearchHit *h)
{
    if (!h)
        return;
    g_free(h->account);
    g_free(h->name);
    g_free(h->address);
    g_free(h);
}

void kv_import_row_free(KvImportRow *r)
{
    if (!r)
        return;
    g_free(r->message);
    g_free(r);
}

gboolean kv_meter_number_parse(const char *text, guint32 *out, GError **error)
{
    guint64 n = 0;
    guint digits = 0;
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (!g_ascii_isdigit(*p)) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("meter number '%s': only digits are allowed"), text);
            return FALSE;
        }
        n = n * 10 + (guint64)(*p - '0');
        if (++digits > 9)
            break;
    }
    if (digits != 9) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("meter number '%s': a meter number has 9 digits (8 + check digit)"),
                    text ? text : "");
        return FALSE;
    }
    if (!kv_meter_number_valid((uint32_t)n)) {
        if (n / 10 == 0)
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("meter number '%s' is not valid"), text);
        else
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("meter number '%s': wrong check digit (the last digit should be %u): "
                        "check the number on the meter"),
                        text, kv_meter_check_digit((uint32_t)(n / 10)));
        return FALSE;
    }
    *out = (guint32)n;
    return TRUE;
}

static gboolean meter_number_check(guint32 n, GError **error)
{
    if (!kv_meter_number_valid(n)) {
        char buf[16];
        g_snprintf(buf, sizeof buf, "%09u", n);
        guint32 dummy;
        return kv_meter_number_parse(buf, &dummy, error);
    }
    return TRUE;
}

/* ---- customers ---- */

static gboolean customer_check(const KvCustomer *c, GError **error)
{
    if (!c->account || !*c->account || strlen(c->account) > 32) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a customer needs an account number (1 to 32 characters)"));
        return FALSE;
    }
    if (!c->name || !*c->name || strlen(c->name) > 200) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a customer needs a name (1 to 200 characters)"));
        return FALSE;
    }
    if (c->debt < 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("the debt cannot be negative"));
        return FALSE;
    }
    return TRUE;
}

static gint64 customer_insert(KvStation *st, const KvCustomer *c, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *obj = NULL, *detail = NULL;
    gint64 id;
    if (!customer_check(c, error))
        return 0;
    s = kv_db_query(st, "INSERT INTO customers(account, name, address, phone, debt, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", error,
                    KV_DB_VALUES(KV_TEXT(c->account), KV_TEXT(c->name),
                                 KV_TEXT(c->address ? c->address : ""),
                                 KV_TEXT(c->phone ? c->phone : ""),
                                 KV_INT(0), /* the debt comes from its opening movement */
                                 KV_INT(kv_now())));
    if (!s)
        return 0;
    if (!kv_db_step_done(st, s, _("adding the customer"), error)) {
        return kv_db_when_exists(error, KV_CORE_ERROR_EXISTS,
                                 _("account '%s' already exists"), c->account);
    }
    id = sqlite3_last_insert_rowid(st->db);
    if (!kv_debt_insert(st, id, KV_DEBT_OPENING, c->debt, 0, "registered with the customer",
                        error))
        return 0;
    obj = g_strdup_printf("customer:%" G_GINT64_FORMAT, id);
    detail = g_strdup_printf("account=%s debt=%" G_GINT64_FORMAT, c->account, c->debt);
    return kv_audit_append(st, "customer.add", obj, detail, error) ? id : 0;
}

gint64 kv_customer_add(KvStation *st, const KvCustomer *c, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    gint64 id;
    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) ||
        !kv_sync_require_no_head_office(st, _("adding a customer"), error) ||
        !kv_txn_begin(&txn, st, error))
        return 0;
    id = customer_insert(st, c, error);
    if (!id || !kv_txn_commit(&txn, error))
        return 0;
    return id;
}

gboolean kv_customer_update(KvStation *st, const KvCustomer *c, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *obj = g_strdup_printf("customer:%" G_GINT64_FORMAT, c->id);
    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) || !customer_check(c, error) ||
        !kv_sync_require_no_head_office(st, _("changing a customer"), error) ||
        !kv_txn_begin(&txn, st, error))
        return FALSE;
    /* The debt changes only through kv_customer_add_debt and sales. */
    if (!kv_db_run(st, "UPDATE customers SET account = ?, name = ?, address = ?, phone = ? WHERE "
                       "id = ?", _("updating the customer"), error,
                       KV_DB_VALUES(KV_TEXT(c->account), KV_TEXT(c->name),
                                    KV_TEXT(c->address ? c->address : ""),
                                    KV_TEXT(c->phone ? c->phone : ""), KV_INT(c->id))))
        return FALSE;
    if (sqlite3_changes(st->db) == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no customer %" PRId64),
                    c->id);
        return FALSE;
    }
    if (!kv_audit_append(st, "customer.edit", obj, c->account, error))
        return FALSE;
    return kv_txn_commit(&txn, error);
}

/* The columns a customer is read from: id, account, name, address, phone,
 * debt. */
#define F(type, field) KV_FIELD(type, KvCustomer, field)
static const KvField customer_fields[] = {
    F(INT64, id), F(TEXT, account), F(TEXT, name), F(TEXT, address), F(TEXT, phone), F(INT64, debt),
};
#undef F

static KvCustomer *customer_query(KvStation *st, KvStmt *s, const char *what, GError **error)
{
    int rc = sqlite3_step(s);
    KvCustomer *c;
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no customer %s"), what);
        else
            kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading customers"));
        return NULL;
    }
    c = g_new0(KvCustomer, 1);
    kv_db_read_fields(s, c, customer_fields, G_N_ELEMENTS(customer_fields));
    return c;
}

KvCustomer *kv_customer_get(KvStation *st, gint64 id, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT id, account, name, address, phone, debt "
                                         "FROM customers WHERE id = ?", error);
    g_autofree char *what = g_strdup_printf("%" G_GINT64_FORMAT, id);
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, id);
    return customer_query(st, s, what, error);
}

KvCustomer *kv_customer_get_by_account(KvStation *st, const char *account, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT id, account, name, address, phone, debt "
                                         "FROM customers WHERE account = ?", error);
    g_autofree char *what = g_strdup_printf(_("with account '%s'"), account);
    if (!s)
        return NULL;
    sqlite3_bind_text(s, 1, account, -1, SQLITE_TRANSIENT);
    return customer_query(st, s, what, error);
}

gboolean kv_customer_add_debt(KvStation *st, gint64 id, gint64 delta, const char *reason,
                              GError **error)
{
    return kv_debt_move(st, id, delta > 0 ? KV_DEBT_ADDED : KV_DEBT_ADJUSTED, delta, reason,
                        error);
}

/* ---- meters ---- */

#define METER_COLS                                                                              \
    "number, coalesce(customer_id, 0), model, phases, address, tariff_code, status, key_version, " \
    "psc_key_version, alarm_level, pretrip_level, hoarding_limit, max_power, meter_constant, "    \
    "reconnect_delay, max(last_seq, coalesce((SELECT r.max_seq FROM meter_remote r "               \
    "WHERE r.meter_number = meters.number), 0)), cumulative_sold, rb_counter, rb_remaining, "    \
    "rb_cumulative_loaded, rb_last_seq, rb_at, coalesce(key_version_target, 0)"

static KvMeter *meter_from_row(KvStmt *s)
{
    KvMeter *m = g_new0(KvMeter, 1);
    m->number = (guint32)sqlite3_column_int64(s, 0);
    m->customer_id = sqlite3_column_int64(s, 1);
    m->model = kv_db_col_text(s, 2);
    m->phases = (guint)sqlite3_column_int(s, 3);
    m->address = kv_db_col_text(s, 4);
    m->tariff_code = kv_db_col_text(s, 5);
    m->status = kv_db_col_text(s, 6);
    m->key_version = (guint)sqlite3_column_int(s, 7);
    m->psc_key_version = (guint)sqlite3_column_int(s, 8);
    m->alarm_level = (guint32)sqlite3_column_int64(s, 9);
    m->pretrip_level = (guint32)sqlite3_column_int64(s, 10);
    m->hoarding_limit = (guint32)sqlite3_column_int64(s, 11);
    m->max_power = (guint32)sqlite3_column_int64(s, 12);
    m->meter_constant = (guint)sqlite3_column_int(s, 13);
    m->reconnect_delay = (guint)sqlite3_column_int(s, 14);
    m->last_seq = (guint32)sqlite3_column_int64(s, 15);
    m->cumulative_sold = (guint32)sqlite3_column_int64(s, 16);
    m->has_readback = sqlite3_column_type(s, 17) != SQLITE_NULL;
    if (m->has_readback) {
        m->rb_counter = (guint32)sqlite3_column_int64(s, 17);
        m->rb_remaining = (gint32)sqlite3_column_int64(s, 18);
        m->rb_cumulative_loaded = (guint32)sqlite3_column_int64(s, 19);
        m->rb_last_seq = (guint32)sqlite3_column_int64(s, 20);
        m->rb_at = sqlite3_column_int64(s, 21);
    }
    m->key_version_target = (guint)sqlite3_column_int(s, 22);
    return m;
}

KvMeter *kv_meter_get(KvStation *st, guint32 number, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT " METER_COLS " FROM meters WHERE number = ?",
                                      error, KV_DB_VALUES(KV_INT(number)));
    int rc;
    if (!s)
        return NULL;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return meter_from_row(s);
    if (rc == SQLITE_DONE)
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND,
                    _("meter %09u is not registered: add it with `kilovendctl meter add`"), number);
    else
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading meters"));
    return NULL;
}

static gboolean meter_check(const KvMeter *m, GError **error)
{
    if (!meter_number_check(m->number, error))
        return FALSE;
    if (m->hoarding_limit == 0 || m->hoarding_limit > 0x7FFFFFFF ||
        m->pretrip_level > m->alarm_level || m->alarm_level >= m->hoarding_limit) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("meter %09u: thresholds must satisfy pre-trip <= alarm < hoarding limit "
                    "(hoarding limit > 0)"), m->number);
        return FALSE;
    }
    if (m->phases != 1 && m->phases != 3) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("a meter has 1 or 3 phases"));
        return FALSE;
    }
    return TRUE;
}

static gboolean meter_bind_and_step(KvStation *st, KvStmt *s, const KvMeter *m, GError **error)
{
    sqlite3_bind_int64(s, 1, m->number);
    if (m->customer_id)
        sqlite3_bind_int64(s, 2, m->customer_id);
    else
        sqlite3_bind_null(s, 2);
    sqlite3_bind_text(s, 3, m->model ? m->model : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 4, (int)m->phases);
    sqlite3_bind_text(s, 5, m->address ? m->address : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 6, m->tariff_code && *m->tariff_code ? m->tariff_code : "DEFAULT", -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 7, m->alarm_level);
    sqlite3_bind_int64(s, 8, m->pretrip_level);
    sqlite3_bind_int64(s, 9, m->hoarding_limit);
    sqlite3_bind_int64(s, 10, m->max_power);
    sqlite3_bind_int(s, 11, (int)m->meter_constant);
    sqlite3_bind_int(s, 12, (int)m->reconnect_delay);
    sqlite3_bind_int(s, 13, (int)m->key_version);
    sqlite3_bind_int(s, 14, (int)m->psc_key_version);
    sqlite3_bind_text(s, 15, m->status && *m->status ? m->status
                                                     : kv_meter_status_name(KV_METER_STATUS_ACTIVE),
                      -1, SQLITE_TRANSIENT);
    if (!kv_db_step_done(st, s, _("saving the meter"), error)) {
        if (g_error_matches(*error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS)) {
            g_clear_error(error);
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS,
                        _("meter %09u is already registered"), m->number);
        } else if (g_error_matches(*error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID) &&
                   m->customer_id) {
            g_clear_error(error);
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND,
                        _("meter %09u: no customer %" PRId64 " (or a bad status)"),
                        m->number, m->customer_id);
        }
        return FALSE;
    }
    return TRUE;
}

static gboolean meter_insert(KvStation *st, const KvMeter *in, GError **error)
{
    KvMeter m = *in;
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *obj = NULL, *detail = NULL;
    if (!m.phases)
        m.phases = 3;
    if (!m.meter_constant)
        m.meter_constant = 1000;
    if (!m.key_version)
        m.key_version = (guint)kv_db_int(st, "SELECT CAST(value AS INTEGER) FROM settings "
                                             "WHERE key = 'key_version'", 1);
    if (!m.psc_key_version)
        m.psc_key_version = m.key_version;
    if (!meter_check(&m, error))
        return FALSE;
    s = kv_db_stmt(st, "INSERT INTO meters(number, customer_id, model, phases, address, "
                       "tariff_code, alarm_level, pretrip_level, hoarding_limit, max_power, "
                       "meter_constant, reconnect_delay, key_version, psc_key_version, status, "
                       "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                       "?13, ?14, ?15, ?16)", error);
    if (!s)
        return FALSE;
    sqlite3_bind_int64(s, 16, kv_now());
    if (!meter_bind_and_step(st, s, &m, error))
        return FALSE;
    obj = g_strdup_printf("meter:%09u", m.number);
    detail = g_strdup_printf("customer=%" G_GINT64_FORMAT " hoarding=%u key_version=%u",
                             m.customer_id, m.hoarding_limit, m.key_version);
    return kv_audit_append(st, "meter.add", obj, detail, error);
}

gboolean kv_meter_add_in_txn(KvStation *st, const KvMeter *m, GError **error)
{
    return kv_station_require(st, KV_ROLE_SUPERVISOR, error) &&
           kv_sync_require_no_head_office(st, _("adding a meter"), error) && meter_insert(st, m, error);
}

gboolean kv_meter_add(KvStation *st, const KvMeter *m, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    if (!kv_txn_begin(&txn, st, error) || !kv_meter_add_in_txn(st, m, error))
        return FALSE;
    return kv_txn_commit(&txn, error);
}

/* The credit levels are the meter's own: a parameter card changes them and
 * the readback that shows them brings them to the ledger (kv-readback.c).
 * An edit of the record keeps them. */
static gboolean levels_kept(KvStation *st, const KvMeter *m, GError **error)
{
    g_autoptr(KvMeter) now = kv_meter_get(st, m->number, error);

    if (!now)
        return FALSE;
    if (now->alarm_level == m->alarm_level && now->pretrip_level == m->pretrip_level &&
        now->hoarding_limit == m->hoarding_limit)
        return TRUE;
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_DENIED,
                _("meter %09u: its alarm, pre-trip and hoarding levels change only through a "
                  "parameter card"),
                m->number);
    return FALSE;
}

gboolean kv_meter_update(KvStation *st, const KvMeter *m, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *obj = g_strdup_printf("meter:%09u", m->number);
    g_autofree char *detail = NULL;
    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) || !meter_check(m, error) ||
        !levels_kept(st, m, error) ||
        !kv_sync_require_no_head_office(st, _("changing a meter"), error) ||
        !kv_txn_begin(&txn, st, error))
        return FALSE;
    s = kv_db_stmt(st, "UPDATE meters SET customer_id = ?2, model = ?3, phases = ?4, "
                       "address = ?5, tariff_code = ?6, alarm_level = ?7, pretrip_level = ?8, "
                       "hoarding_limit = ?9, max_power = ?10, meter_constant = ?11, "
                       "reconnect_delay = ?12, key_version = ?13, psc_key_version = ?14, "
                       "status = ?15 WHERE number = ?1", error);
    if (!s || !meter_bind_and_step(st, s, m, error))
        return FALSE;
    if (sqlite3_changes(st->db) == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("meter %09u is not registered"),
                    m->number);
        return FALSE;
    }
    detail = g_strdup_printf("customer=%" G_GINT64_FORMAT " hoarding=%u status=%s", m->customer_id,
                             m->hoarding_limit,
                             m->status ? m->status : kv_meter_status_name(KV_METER_STATUS_ACTIVE));
    if (!kv_audit_append(st, "meter.edit", obj, detail, error))
        return FALSE;
    return kv_txn_commit(&txn, error);
}

/* ---- search ---- */

GPtrArray *kv_registry_search(KvStation *st, const char *text, guint limit, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *like = NULL, *prefix = NULL;
    GPtrArray *out;
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    /* Meter numbers are matched as text prefixes of their 9-digit form. */
    s = kv_db_stmt(st,
        "SELECT coalesce(m.number, 0), c.id, coalesce(c.account, ''), coalesce(c.name, ''), "
        "coalesce(nullif(m.address, ''), c.address, '') "
        "FROM meters m LEFT JOIN customers c ON c.id = m.customer_id "
        "WHERE printf('%09d', m.number) LIKE ?1 OR c.account LIKE ?1 "
        "   OR c.name LIKE ?2 OR m.address LIKE ?2 OR c.address LIKE ?2 "
        "UNION "
        "SELECT 0, c.id, c.account, c.name, c.address FROM customers c "
        "WHERE NOT EXISTS (SELECT 1 FROM meters m WHERE m.customer_id = c.id) "
        "  AND (c.account LIKE ?1 OR c.name LIKE ?2 OR c.address LIKE ?2) "
        "ORDER BY 4, 1 LIMIT ?3", error);
    if (!s)
        return NULL;
    prefix = g_strdup_printf("%s%%", text ? text : "");
    like = g_strdup_printf("%%%s%%", text ? text : "");
    sqlite3_bind_text(s, 1, prefix, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, like, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 3, (int)(limit ? limit : 50));
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_search_hit_free);
    while (sqlite3_step(s) == SQLITE_ROW) {
        KvSearchHit *h = g_new0(KvSearchHit, 1);
        h->meter_number = (guint32)sqlite3_column_int64(s, 0);
        h->customer_id = sqlite3_column_int64(s, 1);
        h->account = kv_db_col_text(s, 2);
        h->name = kv_db_col_text(s, 3);
        h->address = kv_db_col_text(s, 4);
        g_ptr_array_add(out, h);
    }
    return out;
}

/* ---- CSV import ---- */

static gboolean parse_uint_field(const char *text, const char *name, guint digits, gint64 max,
                                 gint64 *out, GError **error)
{
    if (!kv_decimal_parse(text, digits, max, out, error)) {
        g_prefix_error(error, _("%s: "), name);
        return FALSE;
    }
    return TRUE;
}

static gboolean import_customer(KvStation *st, KvCsvRow *h, KvCsvRow *r, GError **error)
{
    KvCustomer c = { 0 };
    const char *debt = kv_csv_field(r, kv_csv_column(h, "debt"));
    c.account = (char *)kv_csv_field(r, kv_csv_column(h, "account"));
    c.name = (char *)kv_csv_field(r, kv_csv_column(h, "name"));
    c.address = (char *)kv_csv_field(r, kv_csv_column(h, "address"));
    c.phone = (char *)kv_csv_field(r, kv_csv_column(h, "phone"));
    if (*debt && !kv_decimal_parse(debt, st->settings.minor_digits, 0, &c.debt, error)) {
        g_prefix_error(error, _("debt: "));
        return FALSE;
    }
    return customer_insert(st, &c, error) != 0;
}

static gboolean import_meter(KvStation *st, KvCsvRow *h, KvCsvRow *r, GError **error)
{
    KvMeter m = { 0 };
    gint64 v;
    const char *account = kv_csv_field(r, kv_csv_column(h, "account"));
    const char *phases = kv_csv_field(r, kv_csv_column(h, "phases"));
    const char *maxp = kv_csv_field(r, kv_csv_column(h, "max_power"));
    if (!kv_meter_number_parse(kv_csv_field(r, kv_csv_column(h, "number")), &m.number, error))
        return FALSE;
    if (*account) {
        g_autoptr(KvCustomer) c = kv_customer_get_by_account(st, account, error);
        if (!c)
            return FALSE;
        m.customer_id = c->id;
    }
    m.model = (char *)kv_csv_field(r, kv_csv_column(h, "model"));
    m.address = (char *)kv_csv_field(r, kv_csv_column(h, "address"));
    m.tariff_code = (char *)kv_csv_field(r, kv_csv_column(h, "tariff"));
    if (*phases) {
        if (!parse_uint_field(phases, "phases", 0, 3, &v, error))
            return FALSE;
        m.phases = (guint)v;
    }
    if (!parse_uint_field(kv_csv_field(r, kv_csv_column(h, "alarm")), "alarm (kWh)", 2,
                          0x7FFFFFFF, &v, error))
        return FALSE;
    m.alarm_level = (guint32)v;
    if (!parse_uint_field(kv_csv_field(r, kv_csv_column(h, "pretrip")), "pretrip (kWh)", 2,
                          0x7FFFFFFF, &v, error))
        return FALSE;
    m.pretrip_level = (guint32)v;
    if (!parse_uint_field(kv_csv_field(r, kv_csv_column(h, "hoarding")), "hoarding (kWh)", 2,
                          0x7FFFFFFF, &v, error))
        return FALSE;
    m.hoarding_limit = (guint32)v;
    if (*maxp) {
        if (!parse_uint_field(maxp, "max_power (W)", 0, 0x7FFFFFFF, &v, error))
            return FALSE;
        m.max_power = (guint32)v;
    }
    return meter_insert(st, &m, error);
}

GPtrArray *kv_registry_import_csv(KvStation *st, const char *kind, const char *path,
                                  KvProgressFunc progress, gpointer user_data,
                                  GCancellable *cancellable, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    static const char *const customer_cols[] = { "account", "name", NULL };
    static const char *const meter_cols[] = { "number", "alarm", "pretrip", "hoarding", NULL };
    gboolean meters = g_strcmp0(kind, "meters") == 0;
    const char *const *required = meters ? meter_cols : customer_cols;
    g_autoptr(GPtrArray) rows = NULL;
    GPtrArray *out;
    KvCsvRow *header;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    if (!meters && g_strcmp0(kind, "customers") != 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("import kind must be 'customers' or 'meters'"));
        return NULL;
    }
    if (!(rows = kv_csv_read(path, error)))
        return NULL;
    if (rows->len == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("%s is empty"), path);
        return NULL;
    }
    header = rows->pdata[0];
    for (guint i = 0; required[i]; i++)
        if (kv_csv_column(header, required[i]) < 0) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("%s: the header line lacks the column '%s'"), path, required[i]);
            return NULL;
        }
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_import_row_free);
    for (guint i = 1; i < rows->len; i++) {
        KvCsvRow *r = rows->pdata[i];
        KvImportRow *res = g_new0(KvImportRow, 1);
        g_autoptr(GError) local = NULL;
        res->line = r->line;
        if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
            kv_import_row_free(res);
            g_ptr_array_unref(out);
            return NULL;
        }
        if (kv_txn_begin(&txn, st, &local)) {
            res->ok = meters ? import_meter(st, header, r, &local)
                             : import_customer(st, header, r, &local);
            res->ok = res->ok && kv_txn_commit(&txn, &local);
            if (!res->ok)
                kv_txn_rollback(&txn);
        }
        res->message = res->ok ? g_strdup(_("imported")) : g_strdup(local->message);
        g_ptr_array_add(out, res);
        if (progress)
            progress(i, rows->len - 1, N_("rows"), user_data);
    }
    return out;
}

/* ---- a customer's meters ---- */

GPtrArray *kv_meter_list_for_customer(KvStation *st, gint64 customer_id, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    GPtrArray *out;
    int rc;
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    s = kv_db_query(st, "SELECT " METER_COLS " FROM meters WHERE customer_id = ? ORDER BY number",
                    error, KV_DB_VALUES(KV_INT(customer_id)));
    if (!s)
        return NULL;
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_meter_free);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        g_ptr_array_add(out, meter_from_row(s));
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), "reading meters");
        g_ptr_array_unref(out);
        return NULL;
    }
    return out;
}

void kv_meter_next_token(const KvMeter *m, const kv_card_view *view, guint32 *next_seq,
                         guint32 *base_cumulative)
{
    guint32 seq = m->last_seq, base = m->cumulative_sold;
    if (m->has_readback) {
        seq = MAX(seq, m->rb_last_seq);
        base = MAX(base, m->rb_cumulative_loaded);
    }
    if (view && view->token_err == KV_OK) {
        seq = MAX(seq, view->token.seq);
        base = MAX(base, view->token.u.credit.cumulative);
    }
    if (view && view->readback_err == KV_OK) {
        seq = MAX(seq, view->readback.last_seq);
        base = MAX(base, view->readback.cumulative_loaded);
    }
    *next_seq = seq + 1;
    *base_cumulative = base;
}
