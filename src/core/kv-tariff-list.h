/* kv-tariff-list.h - every tariff code with its versions, for the screens
 * and commands that show an administrator what prices apply. */
#ifndef KV_TARIFF_LIST_H
#define KV_TARIFF_LIST_H

#include "kv-station.h"
#include "kv-tariff.h"

G_BEGIN_DECLS

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
