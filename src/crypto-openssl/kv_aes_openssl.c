/* kv_aes_openssl.c - the station's AES backend for the card contract.
 *
 * The station links the contract (crypto/) with this file instead of the
 * portable crypto/kv_aes.c, so tokens are sealed with OpenSSL 3's AES while
 * the layout code stays the one the meter runs.  The contract tests run
 * against both backends; tests/crypto/test-openssl.c compares them on random
 * inputs.  The context keeps the 16-byte key in rk[0..15] only.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include "kv_aes.h"

void kv_aes128_init(kv_aes128_ctx *ctx, const uint8_t key[KV_AES_KEY])
{
    for (int i = 0; i < KV_AES_KEY; i++)
        ctx->rk[i] = key[i];
}

static void run(const kv_aes128_ctx *ctx, const EVP_CIPHER *cipher, const uint8_t *iv,
                const uint8_t *in, uint8_t *out, int len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    if (!c || EVP_EncryptInit_ex(c, cipher, NULL, ctx->rk, iv) != 1 ||
        EVP_CIPHER_CTX_set_padding(c, 0) != 1 || EVP_EncryptUpdate(c, out, &n, in, len) != 1 ||
        n != len)
        abort(); /* only on memory exhaustion inside OpenSSL: never seal garbage */
    EVP_CIPHER_CTX_free(c); /* clears the expanded key */
}

void kv_aes128_encrypt(const kv_aes128_ctx *ctx, const uint8_t in[KV_AES_BLOCK],
                       uint8_t out[KV_AES_BLOCK])
{
    run(ctx, EVP_aes_128_ecb(), NULL, in, out, KV_AES_BLOCK);
}

void kv_aes128_ctr(const kv_aes128_ctx *ctx, const uint8_t iv[KV_AES_BLOCK],
                   const uint8_t *in, uint8_t *out, unsigned len)
{
    if (len)
        run(ctx, EVP_aes_128_ctr(), iv, in, out, (int)len);
}

void kv_aes128_wipe(kv_aes128_ctx *ctx)
{
    OPENSSL_cleanse(ctx->rk, sizeof ctx->rk);
}
