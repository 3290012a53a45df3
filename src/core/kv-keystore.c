/* kv-keystore.c - the key backend interface: which backend a key path
 * names, the versions held, the contract's derivation input. */
#include <stdio.h>
#include <string.h>

#include "kv-i18n.h"
#include "kv-core-error.h"
#include "kv-keystore-private.h"
#include "kv_util.h"

#define TOKEN_GROUP "[kilovend-token]"

static const char *const kind_labels[KV_KEY_KIND_COUNT] = {
    "kilovend meter", "kilovend psc", "kilovend transport"
};
static const char *const kind_names[KV_KEY_KIND_COUNT] = { "meter", "psc", "transport" };

const char *kv_key_kind_name(KvKeyKind kind)
{
    return (guint)kind < KV_KEY_KIND_COUNT ? kind_names[kind] : "?";
}

KvKeystore *kv_keystore_alloc(const KvKeystoreOps *ops, gpointer priv)
{
    KvKeystore *ks = g_new0(KvKeystore, 1);
    ks->ops = ops;
    ks->priv = priv;
    return ks;
}

void kv_keystore_note_version(KvKeystore *ks, guint version)
{
    guint i;
    if (version == 0 || version > KV_KEYSTORE_MAX_VERSIONS || kv_keystore_has(ks, version) ||
        ks->n >= KV_KEYSTORE_MAX_VERSIONS)
        return;
    for (i = ks->n; i > 0 && ks->version[i - 1] > version; i--)
        ks->version[i] = ks->version[i - 1];
    ks->version[i] = (guint8)version;
    ks->n++;
}

gsize kv_keystore_kdf_message(KvKeyKind kind, guint32 utility_code, guint32 meter_number,
                              guint8 version, guint8 msg[KV_KEYSTORE_KDF_MSG_MAX])
{
    const char *label = kind_labels[kind];
    gsize n = 0, l = strlen(label);
    msg[n++] = 0x01;
    memcpy(msg + n, label, l);
    n += l;
    msg[n++] = 0x00;
    kv_put_be32(msg + n, utility_code);
    kv_put_be32(msg + n + 4, meter_number);
    msg[n + 8] = version;
    n += 9;
    msg[n++] = 0x00;
    msg[n++] = 0x80;
    return n;
}

gboolean kv_keystore_path_is_token(const char *path)
{
    char head[sizeof TOKEN_GROUP] = { 0 };
    FILE *f = path ? fopen(path, "rb") : NULL;
    gsize got = 0;

    if (f) {
        got = fread(head, 1, sizeof head - 1, f);
        fclose(f);
    }
    return got == sizeof head - 1 && strcmp(head, TOKEN_GROUP) == 0;
}

KvKeystore *kv_keystore_open(const char *path, const char *secret, GError **error)
{
    if (!path) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("no key file given (--keys PATH)"));
        return NULL;
    }
    if (kv_keystore_path_is_token(path))
        return kv_keystore_pkcs11_open(path, secret, error);
    {
        KvKeyring *ring = kv_keyring_load(path, secret, error);
        return ring ? kv_keystore_new_file(ring, path) : NULL;
    }
}

void kv_keystore_free(KvKeystore *ks)
{
    if (!ks)
        return;
    ks->ops->free(ks);
    kv_wipe(ks, sizeof *ks);
    g_free(ks);
}

const char *kv_keystore_backend(const KvKeystore *ks)
{
    return ks->ops->name;
}

char *kv_keystore_describe(const KvKeystore *ks)
{
    return ks->ops->describe(ks);
}

guint kv_keystore_current(const KvKeystore *ks)
{
    return ks ? ks->current : 0;
}

gboolean kv_keystore_has(const KvKeystore *ks, guint version)
{
    for (guint i = 0; ks && i < ks->n; i++)
        if (ks->version[i] == version)
            return TRUE;
    return FALSE;
}

guint kv_keystore_versions(const KvKeystore *ks, guint8 out[KV_KEYSTORE_MAX_VERSIONS])
{
    memcpy(out, ks->version, ks->n);
    return ks->n;
}

gboolean kv_keystore_derive(KvKeystore *ks, KvKeyKind kind, guint version, guint32 utility_code,
                            guint32 meter_number, guint8 out[16], GError **error)
{
    if ((guint)kind >= KV_KEY_KIND_COUNT || !kv_keystore_has(ks, version)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                    _("the keys hold no master key version %u (meter %09u): use the key file or "
                    "token that holds it"), version, meter_number);
        return FALSE;
    }
    {
        gint64 t0 = g_get_monotonic_time();
        gboolean ok = ks->ops->derive(ks, kind, version, utility_code, meter_number, out, error);
        ks->derive_us += g_get_monotonic_time() - t0;
        ks->derivations++;
        return ok;
    }
}

gboolean kv_keystore_audit_key(KvKeystore *ks, guint8 out[KV_KEYSTORE_AUDIT_KEY_LEN])
{
    return ks && ks->ops->audit_key(ks, out);
}
