/* kv_cmac.h - AES-CMAC (NIST SP 800-38B, RFC 4493), portable C99. */
#ifndef KV_CMAC_H
#define KV_CMAC_H

#include <stddef.h>
#include <stdint.h>

#include "kv_aes.h"

/* A CMAC key made ready: the AES key schedule and the two subkeys.  Made
 * once for a key that MACs many messages (kv_meter_keys); wipe it with
 * kv_cmac_key_wipe(). */
typedef struct {
    kv_aes128_ctx aes;
    uint8_t k1[16], k2[16];
} kv_cmac_key;

void kv_cmac_key_init(kv_cmac_key *k, const uint8_t key[16]);
void kv_cmac_key_wipe(kv_cmac_key *k);

typedef struct {
    kv_cmac_key own;          /* the key kv_cmac_init made */
    const kv_cmac_key *key;   /* the key in use: own, or kv_cmac_start's */
    uint8_t x[16];   /* running chaining value */
    uint8_t buf[16]; /* pending partial (or last full) block */
    unsigned n;      /* bytes in buf */
} kv_cmac_ctx;

void kv_cmac_init(kv_cmac_ctx *ctx, const uint8_t key[16]);
/* Start a MAC under a key made ready before; *key must outlive ctx. */
void kv_cmac_start(kv_cmac_ctx *ctx, const kv_cmac_key *key);
void kv_cmac_update(kv_cmac_ctx *ctx, const uint8_t *msg, size_t len);
/* Writes the 16-byte tag and wipes the context (not a kv_cmac_start key). */
void kv_cmac_final(kv_cmac_ctx *ctx, uint8_t tag[16]);

/* One shot. */
void kv_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t tag[16]);

/* Key derivation, NIST SP 800-108 counter mode with AES-CMAC as the PRF,
 * one 128-bit output block:
 *   out = CMAC(key, 0x01 || label || 0x00 || context || 0x00 0x80)
 * label is a NUL-terminated ASCII string (the NUL is the separator). */
void kv_kdf(const uint8_t key[16], const char *label, const uint8_t *context,
            size_t context_len, uint8_t out[16]);

#endif
