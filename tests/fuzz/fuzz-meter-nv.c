/* fuzz-meter-nv.c - libFuzzer target: the meter's non-volatile memory as
 * it boots from it (firmware/core/nvrec.c, store.c and everything that
 * trusts what they load).  An EEPROM holds whatever a power cut, a worn
 * cell or someone with a clip left there; the meter must boot from any
 * content without a crash or undefined behaviour, and then meter
 * correctly.
 *
 * Input: byte 0 is a mode, the rest the EEPROM image (padded with FF, as
 * erased).  Mode bit 0 re-seals every state slot as a committed record of
 * this meter under its MAC (the NV key derived as the meter does), so the
 * fuzzer also reaches the values behind the MAC, which only a firmware bug
 * or the holder of the meter's provisioning key could put there.  Bit 1
 * boots on an internal flash that already holds the meter's internal
 * record (a meter in service: the floor, tamper and restore rules);
 * without it, the boot is a first boot (the move from the earlier
 * firmware's records, nvrec_v1_load).  Bit 2 re-seals the earlier format's
 * slots with their CRC, so the move reads their values.
 *
 * Checks after boot: the display text is a string of the glass's length;
 * a meter in service (bit 1) has exactly the credit it loaded, and no more
 * remaining than that minus what it metered, whatever the EEPROM says;
 * a minute of heavy load (0.5 kWh, five energy saves) never lowers the
 * total energy nor changes the credit ever loaded, and lowers the remaining
 * credit by exactly what the phase registers counted.
 */
#include <string.h>

#include "fwcards.h"
#include "host_board.h"
#include "kv_cmac.h"
#include "kv_util.h"
#include "nvrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The meter of the firmware tests' office (tests/firmware/fwcards.c). */
static fw_office office;
static uint8_t nv_key[16];
/* The internal flash of the meter in service (mode bit 1). */
static uint8_t sec_in_service[METER_SECURE_SIZE];

static void reseal_v2(uint8_t *nv)
{
    for (uint32_t i = 0; i < NVREC_STATE_SLOTS; i++) {
        uint8_t *r = nv + NVREC_STATE_BASE + i * NVREC_STATE_STRIDE, tag[16];
        r[0] = 'K';
        r[1] = 'S';
        r[2] = 2;
        kv_put_be32(r + 8, office.meter);
        kv_cmac(nv_key, r, NVREC_STATE_LEN - NVREC_MAC_LEN, tag);
        memcpy(r + NVREC_STATE_LEN - NVREC_MAC_LEN, tag, NVREC_MAC_LEN);
    }
}

static void reseal_v1(uint8_t *nv, uint32_t base, uint32_t slots, uint32_t stride, uint32_t len,
                      char m1)
{
    for (uint32_t i = 0; i < slots; i++) {
        uint8_t *r = nv + base + i * stride;
        r[0] = 'K';
        r[1] = (uint8_t)m1;
        r[2] = 1;
        if (m1 != 'C')
            kv_put_be32(r + 8, office.meter);
        kv_put_be32(r + len - 4, kv_crc32(r, len - 4));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static host_board b;
    static uint8_t prov[KV_PROVISION_LEN];
    static const int32_t watts[3] = {10000, 10000, 10000}; /* 30 kW for a minute */
    uint32_t energy, loaded, before[3];
    int64_t measured = 0;
    int saturated = 0;
    int32_t remaining;
    size_t n;

    if (size < 1)
        return 0;
    if (!office.meter) {
        fw_office_init(&office, 0x4B560001u, 12345678);
        fw_office_provision(&office, 2000, 500, 10000, 0, 0, prov);
        nvrec_derive_key(office.k_meter, office.utility, office.meter, nv_key);
        /* a meter in service: loaded, metered, its internal record written */
        host_board_init(&b, 124);
        host_board_boot(&b, prov);
        {
            static sle4442 card;
            fw_card_issue(&card, &office, KV_CARD_USER, 1001);
            fw_card_sell(&card, &office, 5000, -1);
            host_board_insert(&b, &card);
            host_board_remove(&b, &card);
        }
        memcpy(sec_in_service, b.sec, sizeof sec_in_service);
        meter_wipe(&b.m);
    }
    host_board_init(&b, 124);
    if (data[0] & 2)
        memcpy(b.sec, sec_in_service, sizeof b.sec);
    n = size - 1 < sizeof b.nv ? size - 1 : sizeof b.nv;
    memcpy(b.nv, data + 1, n);
    if (data[0] & 1)
        reseal_v2(b.nv);
    if (data[0] & 4) {
        reseal_v1(b.nv, NVREC_V1_CONFIG_BASE, NVREC_V1_CONFIG_SLOTS, NVREC_V1_CONFIG_STRIDE,
                  NVREC_V1_CONFIG_LEN, 'C');
        reseal_v1(b.nv, NVREC_STATE_BASE, NVREC_STATE_SLOTS, NVREC_STATE_STRIDE,
                  NVREC_V1_STATE_LEN, 'S');
        reseal_v1(b.nv, NVREC_V1_MARK_BASE, NVREC_V1_MARK_SLOTS, NVREC_V1_MARK_STRIDE,
                  NVREC_V1_MARK_LEN, 'L');
    }
    host_board_boot(&b, prov);
    if (memchr(b.text, '\0', sizeof b.text) == NULL)
        __builtin_trap();

    /* A meter in service never comes out of its EEPROM with credit it
     * did not load: the floor in internal flash holds 50.00 kWh.  (A
     * record sealed with the meter's own key can claim energy registers
     * near their 32-bit limit, where the credit saturates at its lowest.) */
    if ((data[0] & 2) &&
        (b.m.st.cumulative_loaded != 5000 ||
         (b.m.st.remaining != INT32_MIN &&
          (int64_t)b.m.st.remaining + meter_total_energy(&b.m) > 5000)))
        __builtin_trap();
    energy = meter_total_energy(&b.m);
    loaded = b.m.st.cumulative_loaded;
    remaining = b.m.st.remaining;
    memcpy(before, b.m.st.phase_energy, sizeof before);
    host_board_run(&b, watts, 7, 60);
    for (int p = 0; p < 3; p++) {
        measured += (int64_t)b.m.st.phase_energy[p] - before[p];
        saturated |= b.m.st.phase_energy[p] == UINT32_MAX;
    }
    if (meter_total_energy(&b.m) < energy || b.m.st.cumulative_loaded != loaded)
        __builtin_trap();
    /* Credit only goes down, by what the phase registers counted (unless a
     * register stopped at its maximum, 42.9 GWh, where it saturates). */
    if (b.m.st.remaining > remaining ||
        (!saturated && (int64_t)remaining - b.m.st.remaining != measured))
        __builtin_trap();
    meter_button(&b.m);
    if (memchr(b.text, '\0', sizeof b.text) == NULL)
        __builtin_trap();
    meter_wipe(&b.m);
    return 0;
}
