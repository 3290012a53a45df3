/* kv-tariffs.h - tariffs in the ledger: versions added, the one in force
 * read, every code with its versions listed for the screens and commands
 * that show an administrator what prices apply (layer: registry; the
 * pricing itself is kv-tariff.h). */
#ifndef KV_TARIFFS_H
#define KV_TARIFFS_H

#include "kv-station.h"
#include "kv-tariff.h"

G_BEGIN_DECLS

/* Tariffs (admin).  A new version of a code takes effect at effective_from. */
gint64 kv_tariff_add(KvStation *st, const KvTariff *t, const char *name, GError **error);
/* The version of code in force at time `at`. */
gboolean kv_tariff_get_effective(KvStation *st, const char *code, gint64 at, KvTariff *out,
                                 GError **error);
gboolean kv_tariff_get(KvStation *st, gint64 id, KvTariff *out, GError **error);

typedef struct {
    KvTariff tariff;  /* with its blocks */
    char *name;
} KvTariffVersion;

typedef struct {
    char *code;
    GPtrArray *versions;  /* of KvTariffVersion, newest effective_from first */
    gint in_force;        /* index in versions of the one in force, -1 if none yet */
} KvTariffCode;

void kv_tariff_code_free(KvTariffCode *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvTariffCode, kv_tariff_code_free)

/* Every tariff code (sorted by code) with its versions and the one in force
 * at time `at` (the same rule as kv_tariff_get_effective).  Any signed-in
 * user. */
GPtrArray *kv_tariff_list(KvStation *st, gint64 at, GError **error);

/* The version of c in force, NULL if none is in force yet. */
const KvTariffVersion *kv_tariff_code_in_force(const KvTariffCode *c);

G_END_DECLS

#endif
