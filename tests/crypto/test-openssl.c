/* test-openssl.c - the portable AES, CTR, CMAC and KDF agree with OpenSSL 3
 * on random keys and messages (the station trusts OpenSSL; the meter runs the
 * portable code, so they must compute the same bytes). */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv_aes.h"
#include "kv_cmac.h"

static void ossl_ecb(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL);
    EVP_CIPHER_CTX_set_padding(c, 0);
    EVP_EncryptUpdate(c, out, &n, in, 16);
    EVP_CIPHER_CTX_free(c);
}

static void ossl_ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
                     uint8_t *out, int len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv);
    EVP_EncryptUpdate(c, out, &n, in, len);
    EVP_CIPHER_CTX_free(c);
}

static void ossl_cmac(EVP_MAC *mac, const uint8_t key[16], const uint8_t *msg, size_t len,
                      uint8_t tag[16])
{
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
    OSSL_PARAM params[2];
    size_t tl = 0;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)"AES-128-CBC", 0);
    params[1] = OSSL_PARAM_construct_end();
    EVP_MAC_init(c, key, 16, params);
    EVP_MAC_update(c, msg, len);
    EVP_MAC_final(c, tag, &tl, 16);
    EVP_MAC_CTX_free(c);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    long bad_aes = 0, bad_ctr = 0, bad_cmac = 0, bad_kdf = 0;
    uint8_t key[16], iv[16], msg[160], a[160], b[160];

    if (!mac) {
        fprintf(stderr, "OpenSSL has no CMAC\n");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        kv_aes128_ctx ctx;
        unsigned char r;
        RAND_bytes(key, sizeof key);
        RAND_bytes(iv, sizeof iv);
        RAND_bytes(msg, sizeof msg);
        RAND_bytes(&r, 1);
        size_t len = r % 161; /* 0..160 bytes: every padding case */

        kv_aes128_init(&ctx, key);
        kv_aes128_encrypt(&ctx, msg, a);
        ossl_ecb(key, msg, b);
        bad_aes += memcmp(a, b, 16) != 0;

        /* counters near the wrap exercise the 128-bit carry */
        if (i % 8 == 0)
            memset(iv + 8, 0xFF, 8);
        kv_aes128_ctr(&ctx, iv, msg, a, (unsigned)len);
        ossl_ctr(key, iv, msg, b, (int)len);
        bad_ctr += memcmp(a, b, len) != 0;
        kv_aes128_wipe(&ctx);

        kv_cmac(key, msg, len, a);
        ossl_cmac(mac, key, msg, len, b);
        bad_cmac += memcmp(a, b, 16) != 0;

        /* the KDF is CMAC over 0x01 || label || 0x00 || context || 0x0080 */
        if (i % 16 == 0) {
            uint8_t in[64];
            size_t cl = len % 24;
            in[0] = 1;
            memcpy(in + 1, "kilovend test", 13);
            in[14] = 0;
            memcpy(in + 15, msg, cl);
            in[15 + cl] = 0;
            in[16 + cl] = 0x80;
            kv_kdf(key, "kilovend test", msg, cl, a);
            ossl_cmac(mac, key, in, 17 + cl, b);
            bad_kdf += memcmp(a, b, 16) != 0;
        }
    }
    EVP_MAC_free(mac);
    printf("%ld random cases: AES %ld, CTR %ld, CMAC %ld, KDF %ld mismatches\n", n, bad_aes,
           bad_ctr, bad_cmac, bad_kdf);
    return (bad_aes || bad_ctr || bad_cmac || bad_kdf) ? 1 : 0;
}
