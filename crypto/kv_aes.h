/* kv_aes.h - AES-128 block encryption (FIPS-197), portable C99.
 *
 * Only the forward cipher is needed: CTR and CMAC use encryption both ways.
 * Table-light (one 256-byte S-box, no T-tables) to stay small on Cortex-M0.
 * The caller owns the context and must call kv_aes128_wipe() when done.
 */
#ifndef KV_AES_H
#define KV_AES_H

#include <stdint.h>

#define KV_AES_BLOCK 16
#define KV_AES_KEY 16

typedef struct {
    uint8_t rk[176]; /* 11 round keys */
} kv_aes128_ctx;

void kv_aes128_init(kv_aes128_ctx *ctx, const uint8_t key[KV_AES_KEY]);
void kv_aes128_encrypt(const kv_aes128_ctx *ctx, const uint8_t in[KV_AES_BLOCK],
                       uint8_t out[KV_AES_BLOCK]);
void kv_aes128_wipe(kv_aes128_ctx *ctx);

/* AES-128-CTR: the 16-byte initial counter block is incremented as a
 * 128-bit big-endian integer (NIST SP 800-38A).  in and out may alias. */
void kv_aes128_ctr(const kv_aes128_ctx *ctx, const uint8_t iv[KV_AES_BLOCK],
                   const uint8_t *in, uint8_t *out, unsigned len);

#endif
