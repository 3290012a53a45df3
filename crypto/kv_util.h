/* kv_util.h - small portable helpers shared by the contract code.
 * Big-endian field access, constant-time compare, secure wipe, CRCs. */
#ifndef KV_UTIL_H
#define KV_UTIL_H

#include <stddef.h>
#include <stdint.h>

uint32_t kv_get_be32(const uint8_t *p);
uint16_t kv_get_be16(const uint8_t *p);
void kv_put_be32(uint8_t *p, uint32_t v);
void kv_put_be16(uint8_t *p, uint16_t v);

/* 1 if the n bytes are equal; time independent of the contents. */
int kv_ct_equal(const void *a, const void *b, size_t n);

/* Zero n bytes in a way the compiler may not remove. */
void kv_wipe(void *p, size_t n);

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout). */
uint16_t kv_crc16(const uint8_t *p, size_t n);

/* CRC-32/ISO-HDLC (the zlib CRC: reflected 0xEDB88320, init and xorout ~0). */
uint32_t kv_crc32(const uint8_t *p, size_t n);

#endif
