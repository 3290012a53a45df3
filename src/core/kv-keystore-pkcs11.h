/* kv-keystore-pkcs11.h - the master keys in a PKCS#11 token (layer: base).
 *
 * The token holds, as private token objects (docs/keys.md):
 *   "kilovend master N"  AES-128, sensitive, never extractable, sign only:
 *                        the derivation runs inside (CKM_AES_CMAC);
 *   "kilovend current"   a data object: the current version (one byte);
 *   "kilovend audit key" the audit log's MAC key (32 bytes; not a card key);
 *   "kilovend keyload"   an RSA key pair the token generated: keyload files
 *                        for this station are wrapped to its public part.
 * The station's key path names the token with a descriptor file:
 *   [kilovend-token]
 *   module=/usr/lib/softhsm/libsofthsm2.so
 *   token=LABEL
 *   serial=SERIAL        (optional)
 */
#ifndef KV_KEYSTORE_PKCS11_H
#define KV_KEYSTORE_PKCS11_H

#include "kv-keystore.h"

G_BEGIN_DECLS

/* Write a descriptor at path (0600; refuses to overwrite: EXISTS). */
gboolean kv_token_descriptor_write(const char *path, const char *module, const char *token,
                                   const char *serial, GError **error);

/* Copy every version of a decrypted keyring, its current version and its
 * audit key into the token (the one-time migration from a key file), then
 * check that the token derives what the file does.  EXISTS if the token
 * already holds one of the versions. */
gboolean kv_keystore_pkcs11_import_ring(KvKeystore *ks, const KvKeyring *ring, GError **error);

/* Make a version the token holds current. */
gboolean kv_keystore_pkcs11_set_current(KvKeystore *ks, guint version, GError **error);

/* The public part of the token's keyload key pair as PEM (generated in
 * the token on first use when create), for the key custodian. */
char *kv_keystore_pkcs11_keyload_key(KvKeystore *ks, gboolean create, GError **error);

/* The key custodian's side: a keyload file for one station, carrying
 * master key version of ring wrapped (RSA-OAEP) to the station's public
 * key (PEM, from kv_keystore_pkcs11_keyload_key) and authenticated with
 * the master key itself.  make_current: the station makes it current on
 * import.  Free the bytes with g_bytes_unref. */
GBytes *kv_keyload_create(const KvKeyring *ring, guint version, guint32 utility_code,
                          gboolean make_current, const char *station_pem, GError **error);
/* The station's side: unwrap the keyload inside the token, check it, store
 * it as a new version.  INVALID if it is not a keyload file or it was
 * altered; DENIED if it was made for another station or utility; EXISTS if
 * the version is there already.  *version: the version loaded. */
gboolean kv_keystore_pkcs11_keyload(KvKeystore *ks, const guint8 *data, gsize len,
                                    guint32 utility_code, guint *version, gboolean *made_current,
                                    GError **error);

G_END_DECLS

#endif
