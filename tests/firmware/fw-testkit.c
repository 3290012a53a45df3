/* fw-testkit.c - makes provisioning blocks and card files for the meter
 * simulator's tests (what kilovendctl does for real), and reads readbacks.
 *
 *   fw-testkit OFFICE provision FILE [alarm pretrip hoard maxpower [meter]]
 *                                               (meter: 8-digit base, for a
 *                                                block of another meter)
 *   fw-testkit OFFICE card FILE TYPE SERIAL     (TYPE: user check param
 *                                                clear-tamper test)
 *   fw-testkit OFFICE sell FILE AMOUNT          (0.01 kWh)
 *   fw-testkit OFFICE params FILE alarm pretrip hoard maxpower reconnect
 *   fw-testkit OFFICE token FILE                (clear-tamper / test token)
 *   fw-testkit OFFICE readback FILE             (prints remaining result counter)
 *   fw-testkit OFFICE nv-v1 FILE REMAINING CUMULATIVE
 *                        (the EEPROM image nv.bin as the earlier firmware
 *                         left it: the meter key in the clear, 1408 bytes)
 *   fw-testkit OFFICE has-key FILE              (exit 0 if FILE holds the
 *                                                meter key)
 * OFFICE is a file keeping the office's sequence and sales between calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwcards.h"
#include "nvv1.h"

static int load(const char *path, void *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f)
        return -1;
    n = fread(buf, 1, len, f);
    fclose(f);
    return n == len ? 0 : -1;
}

static int save(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len) {
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f);
}

static unsigned long arg(char **argv, int i, int argc, unsigned long def)
{
    return i < argc ? strtoul(argv[i], NULL, 10) : def;
}

int main(int argc, char **argv)
{
    static fw_office o;
    static sle4442 card;
    static uint8_t file[SLE_FILE_SIZE];
    uint8_t prov[KV_PROVISION_LEN];
    const char *cmd, *path;
    int rc = 0;

    if (argc < 4) {
        fputs("usage: fw-testkit OFFICE provision|card|sell|params|token|readback FILE ...\n", stderr);
        return 2;
    }
    cmd = argv[2];
    path = argv[3];
    if (load(argv[1], &o, sizeof o) != 0)
        fw_office_init(&o, 0x4B560001u, 12345678);

    if (strcmp(cmd, "provision") == 0) {
        if (argc > 8)
            fw_office_init(&o, o.utility, (uint32_t)strtoul(argv[8], NULL, 10));
        fw_office_provision(&o, (uint32_t)arg(argv, 4, argc, 2000), (uint32_t)arg(argv, 5, argc, 500),
                            (uint32_t)arg(argv, 6, argc, 10000), (uint32_t)arg(argv, 7, argc, 0), 30,
                            prov);
        rc = save(path, prov, sizeof prov);
    } else if (strcmp(cmd, "nv-v1") == 0 && argc == 6) {
        static uint8_t nv[METER_NV_SIZE];
        meter_config c;
        meter_state st;
        nvv1_config(&c, &o, 2000, 500, 10000, 30);
        memset(&st, 0, sizeof st);
        st.remaining = (int32_t)strtol(argv[4], NULL, 10);
        st.cumulative_loaded = (uint32_t)strtoul(argv[5], NULL, 10);
        st.phase_energy[0] = st.cumulative_loaded - (uint32_t)st.remaining;
        nvv1_image(nv, &c, &st, 1, 0, 0);
        return save(path, nv, NVREC_V1_MARK_BASE) == 0 ? 0 : 1;
    } else if (strcmp(cmd, "has-key") == 0 && argc == 4) {
        static uint8_t buf[65536];
        FILE *f = fopen(path, "rb");
        size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f)
            fclose(f);
        for (size_t i = 0; i + 16 <= n; i++)
            if (memcmp(buf + i, o.k_meter, 16) == 0)
                return 0;
        return 1;
    } else if (strcmp(cmd, "card") == 0 && argc == 6) {
        static const struct { const char *name; uint8_t type; } types[] = {
            {"user", KV_CARD_USER}, {"check", KV_CARD_CHECK}, {"param", KV_CARD_PARAMETER},
            {"clear-tamper", KV_CARD_CLEAR_TAMPER}, {"test", KV_CARD_TEST}};
        uint8_t type = 0;
        for (unsigned i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(argv[4], types[i].name) == 0)
                type = types[i].type;
        if (!type)
            return 2;
        fw_card_issue(&card, &o, type, (uint32_t)strtoul(argv[5], NULL, 10));
        sle_save(&card, file);
        rc = save(path, file, sizeof file);
    } else if (load(path, file, sizeof file) != 0 || sle_load(&card, file) != 0) {
        fprintf(stderr, "fw-testkit: %s is not a card file\n", path);
        return 2;
    } else if (strcmp(cmd, "sell") == 0 && argc == 5) {
        rc = fw_card_sell(&card, &o, (uint32_t)strtoul(argv[4], NULL, 10), -1);
    } else if (strcmp(cmd, "params") == 0 && argc == 9) {
        kv_token t;
        memset(&t, 0, sizeof t);
        t.u.params.alarm_level = (uint32_t)arg(argv, 4, argc, 0);
        t.u.params.pretrip_level = (uint32_t)arg(argv, 5, argc, 0);
        t.u.params.hoarding_limit = (uint32_t)arg(argv, 6, argc, 0);
        t.u.params.max_power = (uint32_t)arg(argv, 7, argc, 0);
        t.u.params.reconnect_delay = (uint16_t)arg(argv, 8, argc, 0);
        rc = fw_card_token(&card, &o, &t, -1);
    } else if (strcmp(cmd, "token") == 0) {
        kv_token t;
        memset(&t, 0, sizeof t);
        t.u.issued_at = 1760000000u;
        rc = fw_card_token(&card, &o, &t, -1);
    } else if (strcmp(cmd, "readback") == 0) {
        kv_readback rb;
        rc = fw_card_readback(&card, &o, &rb);
        if (rc == 0)
            printf("%ld %u %lu %lu\n", (long)rb.remaining, rb.result, (unsigned long)rb.counter,
                   (unsigned long)rb.total_energy);
        return rc ? 1 : 0;
    } else {
        return 2;
    }
    if (rc == 0 && strcmp(cmd, "provision") != 0 && strcmp(cmd, "card") != 0) {
        sle_save(&card, file);
        rc = save(path, file, sizeof file);
    }
    if (rc == 0)
        rc = save(argv[1], &o, sizeof o);
    return rc ? 1 : 0;
}
