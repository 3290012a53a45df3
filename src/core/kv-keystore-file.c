/* kv-keystore-file.c - the key file backend: the keyring decrypted into
 * memory (kv-keyfile.c), the contract's derivation from crypto/. */
#include "kv-keystore-private.h"
#include "kv_card.h"

typedef struct {
    KvKeyring *ring;
    char *path;
} FileStore;

typedef void (*DeriveFn)(const uint8_t master[16], uint32_t utility_code, uint32_t meter_number,
                         uint8_t version, uint8_t out[16]);

static gboolean file_derive(KvKeystore *ks, KvKeyKind kind, guint version, guint32 utility_code,
                            guint32 meter_number, guint8 out[16], GError **error)
{
    static const DeriveFn fn[KV_KEY_KIND_COUNT] = {
        kv_derive_meter_key, kv_derive_psc_key, kv_derive_transport_key
    };
    FileStore *fs = ks->priv;
    (void)error; /* the version was checked by kv_keystore_derive */
    fn[kind](kv_keyring_master(fs->ring, version), utility_code, meter_number, (uint8_t)version,
             out);
    return TRUE;
}

static gboolean file_audit_key(KvKeystore *ks, guint8 out[KV_KEYSTORE_AUDIT_KEY_LEN])
{
    FileStore *fs = ks->priv;
    return kv_keyring_audit_key(fs->ring, out);
}

static char *file_describe(const KvKeystore *ks)
{
    const FileStore *fs = ks->priv;
    return g_strdup(fs->path);
}

static void file_free(KvKeystore *ks)
{
    FileStore *fs = ks->priv;
    kv_keyring_free(fs->ring);
    g_free(fs->path);
    g_free(fs);
}

static const KvKeystoreOps file_ops = {
    "file", file_derive, file_audit_key, file_describe, file_free
};

KvKeystore *kv_keystore_new_file(KvKeyring *ring, const char *path)
{
    FileStore *fs = g_new0(FileStore, 1);
    KvKeystore *ks = kv_keystore_alloc(&file_ops, fs);
    fs->ring = ring;
    fs->path = g_strdup(path);
    for (guint v = 1; v <= KV_KEYSTORE_MAX_VERSIONS; v++)
        if (kv_keyring_master(ring, v))
            kv_keystore_note_version(ks, v);
    ks->current = kv_keyring_current(ring);
    return ks;
}
