/* fuzz-provision.c - libFuzzer target: the provisioning block a technician
 * writes into a meter; a block that decodes must encode to itself. */
#include <string.h>

#include "kv_provision.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t blk[KV_PROVISION_LEN], again[KV_PROVISION_LEN];
    kv_provision p;
    memset(blk, 0, sizeof blk);
    memcpy(blk, data, size < sizeof blk ? size : sizeof blk);
    if (kv_provision_decode(blk, 0, &p) == KV_OK) {
        if (kv_provision_encode(&p, again) != KV_OK || memcmp(again, blk, sizeof blk) != 0)
            __builtin_trap();
    }
    kv_provision_wipe(&p);
    return 0;
}
