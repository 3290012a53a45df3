/* kv_aes.h - AES-128 block encryption (FIPS-197), portable C99.
 *
 * Only the forward cipher is needed: CTR and CMAC use encryption both ways.
 * One 1 KiB round table and the 256-byte S-box (kv_aes.c).
 * The caller owns the context and must call kv_aes128_wipe() when done.
 */
#ifndef KV_AES_H
#define KV_AES_H

#include <stdint.h>

#define KV_AES_BLOCK 16
#define KV_AES_KEY 16

/* 11 round keys: bytes for whoever wipes or (an AES backend that keeps
 * only the key) stores them, words for the rounds of kv_aes.c. */
typedef union {
    uint8_t rk[176];
    uint32_t w[44];
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
