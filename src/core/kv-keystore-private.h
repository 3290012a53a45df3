/* kv-keystore-private.h - what a key backend implements (layer: base). */
#ifndef KV_KEYSTORE_PRIVATE_H
#define KV_KEYSTORE_PRIVATE_H

#include "kv-keystore.h"

G_BEGIN_DECLS

typedef struct {
    const char *name;
    /* out = the contract's derivation for kind (kv_keystore_derive). */
    gboolean (*derive)(KvKeystore *ks, KvKeyKind kind, guint version, guint32 utility_code,
                       guint32 meter_number, guint8 out[16], GError **error);
    gboolean (*audit_key)(KvKeystore *ks, guint8 out[KV_KEYSTORE_AUDIT_KEY_LEN]);
    char *(*describe)(const KvKeystore *ks);
    void (*free)(KvKeystore *ks); /* the backend's own part */
} KvKeystoreOps;

struct _KvKeystore {
    const KvKeystoreOps *ops;
    gpointer priv;
    guint current;
    guint n;
    guint8 version[KV_KEYSTORE_MAX_VERSIONS]; /* ascending */
    guint64 derivations; /* done since the keys were opened (tools/bench-core) */
    gint64 derive_us;    /* the time they took, monotonic microseconds */
};

KvKeystore *kv_keystore_alloc(const KvKeystoreOps *ops, gpointer priv);
/* Record a version as held (keeps the list ascending, ignores repeats). */
void kv_keystore_note_version(KvKeystore *ks, guint version);
/* The contract's SP 800-108 input for kind: 0x01 || label || 0x00 ||
 * utility || meter || version || 0x00 0x80 (kv_kdf in crypto/kv_cmac.c);
 * returns its length. */
#define KV_KEYSTORE_KDF_MSG_MAX 48
gsize kv_keystore_kdf_message(KvKeyKind kind, guint32 utility_code, guint32 meter_number,
                              guint8 version, guint8 msg[KV_KEYSTORE_KDF_MSG_MAX]);
/* The token backend (kv-keystore-pkcs11.c) for a descriptor file. */
KvKeystore *kv_keystore_pkcs11_open(const char *descriptor, const char *pin, GError **error);

G_END_DECLS

#endif
