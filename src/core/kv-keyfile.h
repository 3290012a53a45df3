/* kv-keyfile.h - the utility master keys, in a passphrase-encrypted file.
 *
 * The key file holds a keyring: master keys by key version (1..254) and the
 * current version.  It is encrypted with AES-256-GCM under a key derived
 * from the passphrase with scrypt (OpenSSL EVP_KDF), written 0600 through a
 * temporary file and rename.  Keys never enter the database or a log, and
 * are wiped (OPENSSL_cleanse) when freed.  See docs/station.md, "Key file".
 */
#ifndef KV_KEYFILE_H
#define KV_KEYFILE_H

#include <glib.h>

G_BEGIN_DECLS

#define KV_MASTER_KEY_LEN 16

typedef struct _KvKeyring KvKeyring;

/* Load and decrypt.  PASSPHRASE on a wrong passphrase, KEYS if the file is
 * missing or damaged. */
KvKeyring *kv_keyring_load(const char *path, const char *passphrase, GError **error);
/* Encrypt and save (0600, atomic replace). */
gboolean kv_keyring_save(const KvKeyring *ring, const char *path, const char *passphrase,
                         GError **error);
void kv_keyring_free(KvKeyring *ring); /* wipes */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvKeyring, kv_keyring_free)

/* A new keyring with version 1 set from RAND_bytes (generate) or given
 * bytes (import: 32 hex digits). */
KvKeyring *kv_keyring_generate(GError **error);
KvKeyring *kv_keyring_import_hex(const char *hex, GError **error);
/* Add a new random version and make it current; returns it (0 on error). */
guint kv_keyring_rotate(KvKeyring *ring, GError **error);
guint kv_keyring_current(const KvKeyring *ring);
/* The master key of a version, NULL if the ring lacks it.  Valid until the
 * ring is freed. */
const guint8 *kv_keyring_master(const KvKeyring *ring, guint version);
guint kv_keyring_n_versions(const KvKeyring *ring);
/* The audit log's MAC key (docs/station.md, "Audit log"):
 * HMAC-SHA256(oldest master key of the ring, "Kilovend audit chain key v1").
 * A label of its own, so it is no key a card or meter ever uses; the oldest
 * version, because versions are only ever added to a ring, so the key
 * outlives rotations.  FALSE for an empty ring.  Wipe out after use. */
#define KV_AUDIT_KEY_LEN 32
gboolean kv_keyring_audit_key(const KvKeyring *ring, guint8 out[KV_AUDIT_KEY_LEN]);

/* Admin operations on the file (no database needed). */
gboolean kv_keyfile_generate(const char *path, const char *passphrase, GError **error);
gboolean kv_keyfile_import(const char *path, const char *hex, const char *passphrase,
                           GError **error);
gboolean kv_keyfile_passwd(const char *path, const char *old_passphrase,
                           const char *new_passphrase, GError **error);
/* Returns the new current version, 0 on error. */
guint kv_keyfile_rotate(const char *path, const char *passphrase, GError **error);

G_END_DECLS

#endif
