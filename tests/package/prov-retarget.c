/* prov-retarget.c - a provisioning block made for another utility or meter.
 *
 *   prov-retarget IN OUT utility|meter NUMBER
 *
 * For meter, NUMBER is the meter number without its check digit (the
 * contract adds it).
 * Decodes IN with the card contract, changes the utility code or the meter
 * number, and encodes it again (valid magic and CRC): the block the office
 * of another utility, or for another meter, would have produced.  For the
 * firmware release test (test-firmware-release.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv_card.h"
#include "kv_provision.h"
#include "kv_util.h"

int main(int argc, char **argv)
{
    uint8_t block[KV_PROVISION_LEN];
    kv_provision p;
    FILE *f;
    int rc = 1;

    if (argc != 5 || (strcmp(argv[3], "utility") != 0 && strcmp(argv[3], "meter") != 0)) {
        fputs("usage: prov-retarget IN OUT utility|meter NUMBER\n", stderr);
        return 2;
    }
    f = fopen(argv[1], "rb");
    if (!f || fread(block, 1, sizeof block, f) != sizeof block) {
        fprintf(stderr, "prov-retarget: cannot read a %d-byte block from %s\n", KV_PROVISION_LEN, argv[1]);
        return 1;
    }
    fclose(f);
    if (kv_provision_decode(block, 0, &p) != KV_OK) {
        fprintf(stderr, "prov-retarget: %s is not a valid provisioning block\n", argv[1]);
        return 1;
    }
    if (strcmp(argv[3], "utility") == 0) {
        p.utility_code = (uint32_t)strtoul(argv[4], NULL, 0);
    } else {
        uint32_t base = (uint32_t)strtoul(argv[4], NULL, 0);
        p.meter_number = base * 10u + kv_meter_check_digit(base);
    }
    if (kv_provision_encode(&p, block) != KV_OK) {
        fprintf(stderr, "prov-retarget: the contract refuses %s %s\n", argv[3], argv[4]);
    } else {
        f = fopen(argv[2], "wb");
        if (f && fwrite(block, 1, sizeof block, f) == sizeof block && fclose(f) == 0)
            rc = 0;
        else
            fprintf(stderr, "prov-retarget: cannot write %s\n", argv[2]);
    }
    kv_provision_wipe(&p);
    kv_wipe(block, sizeof block);
    return rc;
}
