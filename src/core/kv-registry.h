/* kv-registry.h - customers and meters: add, edit, search, import (tariffs:
 * kv-tariffs.h).
 *
 * Supervisors and admins add and edit; every role may search.  Meter numbers
 * carry a Luhn check digit (kv_meter_number_valid); a wrong one is INVALID
 * with the expected digit in the message.
 */
#ifndef KV_REGISTRY_H
#define KV_REGISTRY_H

#include "kv-station.h"
#include "kv-tariff.h"

G_BEGIN_DECLS

typedef struct {
    gint64 id;
    char *account;
    char *name;
    char *address;
    char *phone;
    gint64 debt;
} KvCustomer;
void kv_customer_free(KvCustomer *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvCustomer, kv_customer_free)

typedef struct {
    guint32 number;
    gint64 customer_id;      /* 0 = none */
    char *model;
    guint phases;
    char *address;
    char *tariff_code;
    char *status;
    guint key_version;
    guint psc_key_version;
    guint32 alarm_level, pretrip_level, hoarding_limit; /* 0.01 kWh */
    guint32 max_power;        /* W */
    guint meter_constant;
    guint reconnect_delay;
    guint32 last_seq;
    guint32 cumulative_sold;
    gboolean has_readback;
    guint32 rb_counter;
    gint32 rb_remaining;
    guint32 rb_cumulative_loaded;
    guint32 rb_last_seq;
    gint64 rb_at;
    guint key_version_target; /* a key-change card moves it there; 0 = none under way */
} KvMeter;
void kv_meter_free(KvMeter *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvMeter, kv_meter_free)

/* Parse "123456782" (with or without spaces/dashes): INVALID with a message
 * naming the problem (length, check digit). */
gboolean kv_meter_number_parse(const char *text, guint32 *out, GError **error);

gint64 kv_customer_add(KvStation *st, const KvCustomer *c, GError **error); /* id or 0 */
gboolean kv_customer_update(KvStation *st, const KvCustomer *c, GError **error);
KvCustomer *kv_customer_get(KvStation *st, gint64 id, GError **error);
KvCustomer *kv_customer_get_by_account(KvStation *st, const char *account, GError **error);
/* Debt adjustments (supervisor): delta in minor units, reason audited. */
gboolean kv_customer_add_debt(KvStation *st, gint64 id, gint64 delta, const char *reason,
                              GError **error);

/* New meter: defaults for fields left 0 (phases 3, constant 1000, delay 60,
 * key versions = the keyring's current; keys must be unlocked if 0). */
gboolean kv_meter_add(KvStation *st, const KvMeter *m, GError **error);
gboolean kv_meter_update(KvStation *st, const KvMeter *m, GError **error);
KvMeter *kv_meter_get(KvStation *st, guint32 number, GError **error);
/* The meters of a customer (KvMeter), by number; empty if none.  Any role. */
GPtrArray *kv_meter_list_for_customer(KvStation *st, gint64 customer_id, GError **error);

typedef struct {
    guint32 meter_number;    /* 0 if the customer has no meter */
    gint64 customer_id;
    char *account;
    char *name;
    char *address;
} KvSearchHit;
void kv_search_hit_free(KvSearchHit *h);
/* Search meter number (prefix), account (prefix), name and address
 * (substring, case-insensitive); at most limit hits. */
GPtrArray *kv_registry_search(KvStation *st, const char *text, guint limit, GError **error);

/* CSV import (header line names the columns, see docs/station.md):
 * customers: account,name,address,phone[,debt]
 * meters: number,account,model,phases,address,tariff,alarm,pretrip,hoarding[,max_power]
 * Each row is its own transaction: a bad row is reported and skipped. */
typedef struct {
    guint line;
    gboolean ok;
    char *message;
} KvImportRow;
void kv_import_row_free(KvImportRow *r);
GPtrArray *kv_registry_import_csv(KvStation *st, const char *kind, const char *path,
                                  KvProgressFunc progress, gpointer user_data,
                                  GCancellable *cancellable, GError **error);


G_END_DECLS

#endif
