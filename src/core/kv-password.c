/* kv-password.c - scrypt (OpenSSL EVP_KDF) for cashier passwords and the
 * key file.  Password hashes are stored as
 *   $scrypt$ln=<log2 N>,r=8,p=1$<salt base64>$<hash base64>
 * so the cost can be raised later without breaking old hashes. */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "kv-i18n.h"
#include "kv-core-error.h"
#include "kv-password.h"

#define PW_LOG2N 15
#define PW_SALT 16
#define PW_HASH 32

gboolean kv_scrypt(const char *pass, const guint8 *salt, gsize salt_len, guint log2n,
                   guint8 *out, gsize len, GError **error)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    uint64_t n = (uint64_t)1 << log2n;
    uint32_t r = 8, p = 1;
    uint64_t maxmem = (uint64_t)256 << 20;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, strlen(pass)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    gboolean ok = ctx && log2n >= 10 && log2n <= 20 && EVP_KDF_derive(ctx, out, len, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    if (!ok)
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED,
                    _("scrypt key derivation failed (OpenSSL)"));
    return ok;
}

char *kv_password_hash(const char *password, GError **error)
{
    guint8 salt[PW_SALT], hash[PW_HASH];
    g_autofree char *s64 = NULL, *h64 = NULL;
    char *out;
    if (RAND_bytes(salt, sizeof salt) != 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED, _("no random numbers (OpenSSL)"));
        return NULL;
    }
    if (!kv_scrypt(password, salt, sizeof salt, PW_LOG2N, hash, sizeof hash, error))
        return NULL;
    s64 = g_base64_encode(salt, sizeof salt);
    h64 = g_base64_encode(hash, sizeof hash);
    out = g_strdup_printf("$scrypt$ln=%d,r=8,p=1$%s$%s", PW_LOG2N, s64, h64);
    OPENSSL_cleanse(hash, sizeof hash);
    return out;
}

gboolean kv_password_verify(const char *password, const char *encoded)
{
    g_auto(GStrv) parts = g_strsplit(encoded ? encoded : "", "$", -1);
    guint ln = 0;
    gsize salt_len = 0, hash_len = 0;
    g_autofree guchar *salt = NULL, *want = NULL;
    guint8 got[64];
    gboolean ok;

    /* "", "scrypt", "ln=..,r=8,p=1", salt, hash */
    if (g_strv_length(parts) != 5 || strcmp(parts[1], "scrypt") != 0 ||
        sscanf(parts[2], "ln=%u,r=8,p=1", &ln) != 1)
        return FALSE;
    salt = g_base64_decode(parts[3], &salt_len);
    want = g_base64_decode(parts[4], &hash_len);
    if (hash_len == 0 || hash_len > sizeof got)
        return FALSE;
    if (!kv_scrypt(password, salt, salt_len, ln, got, hash_len, NULL))
        return FALSE;
    ok = CRYPTO_memcmp(got, want, hash_len) == 0;
    OPENSSL_cleanse(got, sizeof got);
    return ok;
}

void kv_password_burn(const char *password)
{
    static const guint8 salt[PW_SALT];
    guint8 out[PW_HASH];
    kv_scrypt(password, salt, sizeof salt, PW_LOG2N, out, sizeof out, NULL);
    OPENSSL_cleanse(out, sizeof out);
}
