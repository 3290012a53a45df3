/* kv-keyfile.c - the passphrase-encrypted keyring file.
 *
 * File layout (big-endian, see docs/station.md):
 *   0   "KVKEYS01"
 *   8   scrypt log2 N, r, p, 0
 *   12  salt (16)
 *   28  GCM nonce (12)
 *   40  ciphertext: current version, count, count x (version, 16-byte key)
 *   end GCM tag (16)
 * Bytes 0..39 are the GCM additional data, so the header cannot be changed
 * without the tag failing.  A wrong passphrase also fails the tag.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "kv-i18n.h"
#include "kv-core-error.h"
#include "kv-keyfile.h"
#include "kv-password.h"

#define KF_MAGIC "KVKEYS01"
#define KF_HDR 40
#define KF_TAG 16
#define KF_LOG2N 15
#define KF_MAX_KEYS 254

struct _KvKeyring {
    guint current;
    guint n;
    guint8 version[KF_MAX_KEYS];
    guint8 key[KF_MAX_KEYS][KV_MASTER_KEY_LEN];
};

static KvKeyring *ring_new(void)
{
    /* Secure heap is not configured; plain memory, cleansed on free. */
    return g_new0(KvKeyring, 1);
}

void kv_keyring_free(KvKeyring *ring)
{
    if (!ring)
        return;
    OPENSSL_cleanse(ring, sizeof *ring);
    g_free(ring);
}

guint kv_keyring_current(const KvKeyring *ring) { return ring ? ring->current : 0; }
guint kv_keyring_n_versions(const KvKeyring *ring) { return ring ? ring->n : 0; }

const guint8 *kv_keyring_master(const KvKeyring *ring, guint version)
{
    for (guint i = 0; ring && i < ring->n; i++)
        if (ring->version[i] == version)
            return ring->key[i];
    return NULL;
}

gboolean kv_keyring_audit_key(const KvKeyring *ring, guint8 out[KV_AUDIT_KEY_LEN])
{
    static const char label[] = "Kilovend audit chain key v1";
    const guint8 *oldest = NULL;
    guint v = G_MAXUINT;
    unsigned int len = KV_AUDIT_KEY_LEN;

    for (guint i = 0; ring && i < ring->n; i++)
        if (ring->version[i] < v) {
            v = ring->version[i];
            oldest = ring->key[i];
        }
    return oldest && HMAC(EVP_sha256(), oldest, KV_MASTER_KEY_LEN, (const guint8 *)label,
                          sizeof label - 1, out, &len) != NULL && len == KV_AUDIT_KEY_LEN;
}

static gboolean ring_add(KvKeyring *ring, guint version, const guint8 *key, GError **error)
{
    if (version == 0 || version > KF_MAX_KEYS || ring->n >= KF_MAX_KEYS ||
        kv_keyring_master(ring, version)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("key version %u not available"),
                    version);
        return FALSE;
    }
    ring->version[ring->n] = (guint8)version;
    memcpy(ring->key[ring->n], key, KV_MASTER_KEY_LEN);
    ring->n++;
    ring->current = version;
    return TRUE;
}

KvKeyring *kv_keyring_generate(GError **error)
{
    guint8 key[KV_MASTER_KEY_LEN];
    KvKeyring *ring = ring_new();
    if (RAND_priv_bytes(key, sizeof key) != 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("no random numbers (OpenSSL)"));
        kv_keyring_free(ring);
        return NULL;
    }
    ring_add(ring, 1, key, NULL);
    OPENSSL_cleanse(key, sizeof key);
    return ring;
}

KvKeyring *kv_keyring_import_hex(const char *hex, GError **error)
{
    guint8 key[KV_MASTER_KEY_LEN];
    KvKeyring *ring;
    gsize len = hex ? strlen(hex) : 0;
    while (len && g_ascii_isspace(hex[len - 1]))
        len--;
    if (len != 2 * KV_MASTER_KEY_LEN) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a master key is %d hexadecimal digits; got %zu characters"),
                    2 * KV_MASTER_KEY_LEN, len);
        return NULL;
    }
    for (guint i = 0; i < KV_MASTER_KEY_LEN; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(key, sizeof key);
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                        _("the master key must be hexadecimal digits only"));
            return NULL;
        }
        key[i] = (guint8)(hi << 4 | lo);
    }
    ring = ring_new();
    ring_add(ring, 1, key, NULL);
    OPENSSL_cleanse(key, sizeof key);
    return ring;
}

guint kv_keyring_rotate(KvKeyring *ring, GError **error)
{
    guint8 key[KV_MASTER_KEY_LEN];
    guint next = 0;
    for (guint i = 0; i < ring->n; i++)
        next = MAX(next, ring->version[i]);
    next++;
    if (RAND_priv_bytes(key, sizeof key) != 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("no random numbers (OpenSSL)"));
        return 0;
    }
    if (!ring_add(ring, next, key, error))
        next = 0;
    OPENSSL_cleanse(key, sizeof key);
    return next;
}

static gboolean gcm(gboolean enc, const guint8 key[32], const guint8 *nonce, const guint8 *aad,
                    const guint8 *in, int len, guint8 *out, guint8 *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok;
    ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
         EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) == 1 &&
         EVP_CipherUpdate(c, NULL, &n, aad, KF_HDR) == 1 &&
         EVP_CipherUpdate(c, out, &n, in, len) == 1;
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KF_TAG, tag) == 1;
    if (ok)
        ok = EVP_CipherFinal_ex(c, out + n, &n) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KF_TAG, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

static gboolean write_private_file(const char *path, const guint8 *data, gsize len,
                                   GError **error)
{
    g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
    int fd = g_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    gsize done = 0;
    if (fd < 0)
        goto fail;
    fchmod(fd, 0600);
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            goto fail;
        }
        done += (gsize)w;
    }
    if (fsync(fd) != 0) {
        close(fd);
        goto fail;
    }
    close(fd);
    if (g_rename(tmp, path) != 0)
        goto fail;
    return TRUE;
fail:
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("cannot write %s: %s"), path,
                g_strerror(errno));
    g_unlink(tmp);
    return FALSE;
}

gboolean kv_keyring_save(const KvKeyring *ring, const char *path, const char *passphrase,
                         GError **error)
{
    guint8 kek[32];
    gsize plen = 2 + ring->n * (1 + KV_MASTER_KEY_LEN);
    gsize flen = KF_HDR + plen + KF_TAG;
    g_autofree guint8 *file = g_malloc0(flen);
    guint8 *plain = g_malloc0(plen);
    gboolean ok = FALSE;

    if (!passphrase || !*passphrase) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_PASSPHRASE,
                    _("an empty passphrase cannot protect the keys"));
        g_free(plain);
        return FALSE;
    }
    memcpy(file, KF_MAGIC, 8);
    file[8] = KF_LOG2N;
    file[9] = 8;
    file[10] = 1;
    plain[0] = (guint8)ring->current;
    plain[1] = (guint8)ring->n;
    for (guint i = 0; i < ring->n; i++) {
        plain[2 + i * 17] = ring->version[i];
        memcpy(plain + 3 + i * 17, ring->key[i], KV_MASTER_KEY_LEN);
    }
    if (RAND_bytes(file + 12, 16 + 12) != 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("no random numbers (OpenSSL)"));
        goto out;
    }
    if (!kv_scrypt(passphrase, file + 12, 16, KF_LOG2N, kek, sizeof kek, error))
        goto out;
    if (!gcm(TRUE, kek, file + 28, file, plain, (int)plen, file + KF_HDR,
             file + KF_HDR + plen)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("encryption failed (OpenSSL)"));
        goto out;
    }
    ok = write_private_file(path, file, flen, error);
out:
    OPENSSL_cleanse(kek, sizeof kek);
    OPENSSL_cleanse(plain, plen);
    g_free(plain);
    return ok;
}

KvKeyring *kv_keyring_load(const char *path, const char *passphrase, GError **error)
{
    g_autofree guint8 *file = NULL;
    gsize flen = 0, plen;
    guint8 kek[32];
    guint8 *plain;
    KvKeyring *ring = NULL;
    g_autoptr(GError) local = NULL;

    if (!g_file_get_contents(path, (char **)&file, &flen, &local)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                    _("cannot read the key file %s (%s): give --keys or create it with "
                    "`kilovendctl key generate`"), path, local->message);
        return NULL;
    }
    if (flen < KF_HDR + 2 + KF_TAG || memcmp(file, KF_MAGIC, 8) != 0 || file[9] != 8 ||
        file[10] != 1 || file[8] < 10 || file[8] > 20) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                    _("%s is not a Kilovend key file (or it is damaged)"), path);
        return NULL;
    }
    plen = flen - KF_HDR - KF_TAG;
    if (!kv_scrypt(passphrase ? passphrase : "", file + 12, 16, file[8], kek, sizeof kek, error))
        return NULL;
    plain = g_malloc0(plen);
    if (!gcm(FALSE, kek, file + 28, file, file + KF_HDR, (int)plen, plain, file + KF_HDR + plen)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_PASSPHRASE,
                    _("wrong passphrase for %s (or the file was altered)"), path);
        goto out;
    }
    if (plen != 2 + (gsize)plain[1] * 17 || plain[1] == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("%s: keyring damaged"), path);
        goto out;
    }
    ring = ring_new();
    for (guint i = 0; i < plain[1]; i++)
        if (!ring_add(ring, plain[2 + i * 17], plain + 3 + i * 17, error)) {
            kv_keyring_free(ring);
            ring = NULL;
            goto out;
        }
    ring->current = plain[0];
    if (!kv_keyring_master(ring, ring->current)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS, _("%s: keyring damaged"), path);
        kv_keyring_free(ring);
        ring = NULL;
    }
out:
    OPENSSL_cleanse(kek, sizeof kek);
    OPENSSL_cleanse(plain, plen);
    g_free(plain);
    return ring;
}

static gboolean refuse_existing(const char *path, GError **error)
{
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS,
                    _("%s already exists: a key file is never overwritten (move it away first)"),
                    path);
        return FALSE;
    }
    return TRUE;
}

gboolean kv_keyfile_generate(const char *path, const char *passphrase, GError **error)
{
    g_autoptr(KvKeyring) ring = NULL;
    if (!refuse_existing(path, error) || !(ring = kv_keyring_generate(error)))
        return FALSE;
    return kv_keyring_save(ring, path, passphrase, error);
}

gboolean kv_keyfile_import(const char *path, const char *hex, const char *passphrase,
                           GError **error)
{
    g_autoptr(KvKeyring) ring = NULL;
    if (!refuse_existing(path, error) || !(ring = kv_keyring_import_hex(hex, error)))
        return FALSE;
    return kv_keyring_save(ring, path, passphrase, error);
}

gboolean kv_keyfile_passwd(const char *path, const char *old_passphrase,
                           const char *new_passphrase, GError **error)
{
    g_autoptr(KvKeyring) ring = kv_keyring_load(path, old_passphrase, error);
    return ring && kv_keyring_save(ring, path, new_passphrase, error);
}

guint kv_keyfile_rotate(const char *path, const char *passphrase, GError **error)
{
    g_autoptr(KvKeyring) ring = kv_keyring_load(path, passphrase, error);
    guint v;
    if (!ring || !(v = kv_keyring_rotate(ring, error)))
        return 0;
    return kv_keyring_save(ring, path, passphrase, error) ? v : 0;
}
