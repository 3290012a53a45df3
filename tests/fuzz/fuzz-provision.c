/* fuzz-provision.c - libFuzzer target: the provisioning block a technician
 * writes into a meter; a block that decodes must encode to itself.
 *
 * Input: byte 0 is a mode, then the block.  Mode bit 0 re-seals the CRC-32
 * (bytes 92..95), so the fuzzer reaches the field checks behind it. */
#include <string.h>

#include "kv_provision.h"
#include "kv_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t blk[KV_PROVISION_LEN], again[KV_PROVISION_LEN];
    kv_provision p;

    if (size < 1)
        return 0;
    memset(blk, 0, sizeof blk);
    memcpy(blk, data + 1, size - 1 < sizeof blk ? size - 1 : sizeof blk);
    if (data[0] & 1)
        kv_put_be32(blk + KV_PROVISION_LEN - 4, kv_crc32(blk, KV_PROVISION_LEN - 4));
    if (kv_provision_decode(blk, 0, &p) == KV_OK) {
        if (kv_provision_encode(&p, again) != KV_OK || memcmp(again, blk, sizeof blk) != 0)
            __builtin_trap();
    }
    kv_provision_wipe(&p);
    return 0;
}
