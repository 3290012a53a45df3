/* kv_cmac.c - AES-CMAC (NIST SP 800-38B) and the SP 800-108 KDF on it. */
#include "kv_cmac.h"

#include <string.h>

#include "kv_util.h"

/* Doubling in GF(2^128): left shift, conditional xor of 0x87. */
static void dbl(const uint8_t in[16], uint8_t out[16])
{
    uint8_t carry = in[0] >> 7;
    for (int i = 0; i < 15; i++)
        out[i] = (uint8_t)((in[i] << 1) | (in[i + 1] >> 7));
    out[15] = (uint8_t)((in[15] << 1) ^ (0x87 & (0u - carry)));
}

void kv_cmac_key_init(kv_cmac_key *k, const uint8_t key[16])
{
    uint8_t l[16] = {0};
    kv_aes128_init(&k->aes, key);
    kv_aes128_encrypt(&k->aes, l, l);
    dbl(l, k->k1);
    dbl(k->k1, k->k2);
    kv_wipe(l, sizeof l);
}

void kv_cmac_key_wipe(kv_cmac_key *k)
{
    kv_wipe(k, sizeof *k);
}

void kv_cmac_start(kv_cmac_ctx *ctx, const kv_cmac_key *key)
{
    ctx->key = key;
    memset(ctx->x, 0, sizeof ctx->x);
    ctx->n = 0;
}

void kv_cmac_init(kv_cmac_ctx *ctx, const uint8_t key[16])
{
    kv_cmac_key_init(&ctx->own, key);
    kv_cmac_start(ctx, &ctx->own);
}

static void absorb(kv_cmac_ctx *ctx, const uint8_t block[16])
{
    for (int i = 0; i < 16; i++)
        ctx->x[i] ^= block[i];
    kv_aes128_encrypt(&ctx->key->aes, ctx->x, ctx->x);
}

void kv_cmac_update(kv_cmac_ctx *ctx, const uint8_t *msg, size_t len)
{
    while (len > 0) {
        /* A full buffer is only absorbed once more data follows: the last
         * block is treated differently in final. */
        if (ctx->n == 16) {
            absorb(ctx, ctx->buf);
            ctx->n = 0;
        }
        size_t take = 16 - ctx->n;
        if (take > len)
            take = len;
        memcpy(ctx->buf + ctx->n, msg, take);
        ctx->n += (unsigned)take;
        msg += take;
        len -= take;
    }
}

void kv_cmac_final(kv_cmac_ctx *ctx, uint8_t tag[16])
{
    const uint8_t *k;
    if (ctx->n == 16) {
        k = ctx->key->k1;
    } else {
        ctx->buf[ctx->n] = 0x80;
        for (unsigned i = ctx->n + 1; i < 16; i++)
            ctx->buf[i] = 0;
        k = ctx->key->k2;
    }
    for (int i = 0; i < 16; i++)
        ctx->buf[i] ^= k[i];
    absorb(ctx, ctx->buf);
    memcpy(tag, ctx->x, 16);
    if (ctx->key == &ctx->own)
        kv_cmac_key_wipe(&ctx->own);
    kv_wipe(ctx->x, sizeof ctx->x);
    kv_wipe(ctx->buf, sizeof ctx->buf);
    ctx->key = NULL;
    ctx->n = 0;
}

void kv_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t tag[16])
{
    kv_cmac_ctx ctx;
    kv_cmac_init(&ctx, key);
    kv_cmac_update(&ctx, msg, len);
    kv_cmac_final(&ctx, tag);
}

void kv_kdf(const uint8_t key[16], const char *label, const uint8_t *context,
            size_t context_len, uint8_t out[16])
{
    static const uint8_t one = 0x01, zero = 0x00, len_bits[2] = {0x00, 0x80};
    kv_cmac_ctx ctx;
    kv_cmac_init(&ctx, key);
    kv_cmac_update(&ctx, &one, 1);
    kv_cmac_update(&ctx, (const uint8_t *)label, strlen(label));
    kv_cmac_update(&ctx, &zero, 1);
    if (context_len)
        kv_cmac_update(&ctx, context, context_len);
    kv_cmac_update(&ctx, len_bits, 2);
    kv_cmac_final(&ctx, out);
}
