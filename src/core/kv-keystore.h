/* kv-keystore.h - the key backend: where the utility's master keys live
 * and where the meter keys are derived from them (layer: base).
 *
 * Two backends behind one interface (docs/keys.md):
 *   - the passphrase-encrypted key file (kv-keyfile.h), the default: the
 *     master keys are decrypted into memory and the contract's derivation
 *     (crypto/kv_card.h) runs here;
 *   - a PKCS#11 token (kv-keystore-pkcs11.h): the master keys are
 *     non-extractable AES keys in the token, the derivation runs inside it
 *     (CKM_AES_CMAC), and only the derived meter keys come out.
 * The file at the station's key path says which: a key file ("KVKEYS01")
 * or a token descriptor (a "[kilovend-token]" key=value file naming the
 * PKCS#11 module and the token).  The secret that opens it is the key
 * file's passphrase or the token's user PIN.
 */
#ifndef KV_KEYSTORE_H
#define KV_KEYSTORE_H

#include <glib.h>

#include "kv-keyfile.h"

G_BEGIN_DECLS

typedef struct _KvKeystore KvKeystore;

/* The keys the card contract derives from a master key (crypto/kv_card.h):
 * k_meter, k_psc, k_transport. */
typedef enum {
    KV_KEY_KIND_METER,
    KV_KEY_KIND_PSC,
    KV_KEY_KIND_TRANSPORT
} KvKeyKind;
#define KV_KEY_KIND_COUNT 3
const char *kv_key_kind_name(KvKeyKind kind);

#define KV_KEYSTORE_MAX_VERSIONS 254

/* Open the backend named by the file at path with its secret.
 * PASSPHRASE on a wrong key file passphrase (the station counts it against
 * the supervisor); AUTH on a wrong PIN (the token counts it, not us); KEYS
 * if the file, the module or the token is missing or damaged. */
KvKeystore *kv_keystore_open(const char *path, const char *secret, GError **error);
/* The file at path is a token descriptor (its secret is the token's user
 * PIN), not a key file (a passphrase): what an unlock dialog asks for. */
gboolean kv_keystore_path_is_token(const char *path);
/* The key file backend around a keyring already decrypted (takes it). */
KvKeystore *kv_keystore_new_file(KvKeyring *ring, const char *path);
void kv_keystore_free(KvKeystore *ks); /* wipes; logs out of the token */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvKeystore, kv_keystore_free)

/* "file" or "pkcs11". */
const char *kv_keystore_backend(const KvKeystore *ks);
/* Where the keys are: the key file's path, or "token LABEL (serial S) via
 * MODULE".  Free with g_free. */
char *kv_keystore_describe(const KvKeystore *ks);
guint kv_keystore_current(const KvKeystore *ks);
gboolean kv_keystore_has(const KvKeystore *ks, guint version);
/* The versions held, ascending, into out; returns how many. */
guint kv_keystore_versions(const KvKeystore *ks, guint8 out[KV_KEYSTORE_MAX_VERSIONS]);

/* A derived key of the card contract: kind under master key version, for
 * a utility's meter.  KEYS if the version is missing or the backend fails
 * (a token pulled out).  out is only written on success; wipe it after
 * use. */
gboolean kv_keystore_derive(KvKeystore *ks, KvKeyKind kind, guint version, guint32 utility_code,
                            guint32 meter_number, guint8 out[16], GError **error);

/* The audit log's MAC key (kv-keyfile.h, kv_keyring_audit_key); FALSE if
 * the backend has none.  Wipe after use. */
#define KV_KEYSTORE_AUDIT_KEY_LEN 32
gboolean kv_keystore_audit_key(KvKeystore *ks, guint8 out[KV_KEYSTORE_AUDIT_KEY_LEN]);

G_END_DECLS

#endif
