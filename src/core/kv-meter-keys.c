/* kv-meter-keys.c - a meter's keys from the key backend, tokens sealed with
 * them, the provisioning block a meter is made with. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "kv-i18n.h"
#include "kv-audit-private.h"
#include "kv-meter-keys.h"
#include "kv-registry.h"
#include "kv-station-keys.h"
#include "kv-station-private.h"
#include "kv_provision.h"
#include "kv_util.h"

/* A meter keyed with a version this station's keys lack (a rotation not
 * loaded here yet): refused before any derivation, saying which. */
static gboolean version_held(KvStation *st, guint32 meter, guint version, GError **error)
{
    guint8 v[KV_KEYSTORE_MAX_VERSIONS];
    g_autofree char *held = NULL;
    if (kv_keystore_has(st->keys, version))
        return TRUE;
    held = kv_key_versions_text(v, kv_keystore_versions(st->keys, v));
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                _("meter %09u is keyed with master key version %u, which this station's keys do "
                  "not hold (they hold %s): load that version's keyload file (`kilovendctl key "
                  "load`) before selling to it"), meter, version, held);
    return FALSE;
}

gboolean kv_meter_keys_held(KvStation *st, guint32 meter, GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    return kv_station_require_keys(st, error) && (m = kv_meter_get(st, meter, error)) &&
           version_held(st, meter, m->key_version, error) &&
           version_held(st, meter, m->psc_key_version, error);
}

gboolean kv_meter_keys_derive(KvStation *st, guint32 meter, guint key_version,
                               kv_meter_keys *out, GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    guint8 k_meter[16], k_psc[16], k_transport[16];
    gboolean ok;
    if (!kv_station_require_keys(st, error))
        return FALSE;
    if (!(m = kv_meter_get(st, meter, error)))
        return FALSE;
    if (!key_version)
        key_version = m->key_version;
    if (!version_held(st, meter, key_version, error) ||
        !version_held(st, meter, m->psc_key_version, error))
        return FALSE;
    /* The transport key comes from the master key the meter was
     * provisioned under, like K_psc: it does not rotate with K_meter.
     * Nothing is written to out unless all three were derived. */
    ok = kv_keystore_derive(st->keys, KV_KEY_KIND_METER, key_version, st->settings.utility_code,
                            meter, k_meter, error) &&
         kv_keystore_derive(st->keys, KV_KEY_KIND_PSC, m->psc_key_version,
                            st->settings.utility_code, meter, k_psc, error) &&
         kv_keystore_derive(st->keys, KV_KEY_KIND_TRANSPORT, m->psc_key_version,
                            st->settings.utility_code, meter, k_transport, error);
    if (ok) {
        kv_meter_keys_init(out, k_meter, (uint8_t)key_version, k_psc);
        kv_meter_keys_set_transport(out, k_transport);
    }
    kv_wipe(k_meter, sizeof k_meter);
    kv_wipe(k_psc, sizeof k_psc);
    kv_wipe(k_transport, sizeof k_transport);
    return ok;
}

kv_err kv_meter_keys_seal(KvStation *st, const kv_meter_keys *keys, const kv_identity *id,
                             const kv_token *tok, guint8 slot[KV_SLOT_LEN])
{
    kv_token t = *tok;
    kv_err e;
    t.issuer = st->settings.token_issuer;
    e = kv_token_seal(keys, id, &t, slot);
    kv_wipe(&t, sizeof t);
    return e;
}

gboolean kv_meter_provision(KvStation *st, guint32 meter, const char *path, GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    kv_meter_keys keys;
    kv_provision p = { 0 };
    guint8 block[KV_PROVISION_LEN];
    g_autofree char *obj = NULL;
    kv_err e;
    int fd;
    gboolean ok = FALSE;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return FALSE;
    if (!(m = kv_meter_get(st, meter, error)) ||
        !kv_meter_keys_derive(st, meter, m->key_version, &keys, error))
        return FALSE;
    p.block_version = KV_PROVISION_V2;
    p.utility_code = st->settings.utility_code;
    p.meter_number = meter;
    p.key_version = (uint8_t)m->key_version;
    p.psc_key_version = (uint8_t)m->psc_key_version;
    p.phases = (uint8_t)m->phases;
    memcpy(p.k_meter, keys.k_meter, 16);
    memcpy(p.k_psc, keys.k_psc, 16);
    memcpy(p.k_transport, keys.k_transport, 16);
    kv_meter_keys_wipe(&keys);
    p.alarm_level = m->alarm_level;
    p.pretrip_level = m->pretrip_level;
    p.hoarding_limit = m->hoarding_limit;
    p.max_power = m->max_power;
    p.meter_constant = (uint16_t)m->meter_constant;
    p.reconnect_delay = (uint16_t)m->reconnect_delay;
    e = kv_provision_encode(&p, block);
    kv_provision_wipe(&p);
    if (e != KV_OK) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("meter %09u: %s"), meter,
                    kv_strerror(e));
        goto out;
    }
    fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        g_set_error(error, KV_CORE_ERROR, errno == EEXIST ? KV_CORE_ERROR_EXISTS : KV_CORE_ERROR_FAILED,
                    _("cannot create %s: %s"), path, g_strerror(errno));
        goto out;
    }
    ok = write(fd, block, sizeof block) == (ssize_t)sizeof block && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED, _("cannot write %s"), path);
        g_unlink(path);
        goto out;
    }
    obj = g_strdup_printf("meter:%09u", meter);
    ok = kv_audit_record(st, "meter.provision", obj, path, error);
out:
    kv_wipe(block, sizeof block);
    return ok;
}
