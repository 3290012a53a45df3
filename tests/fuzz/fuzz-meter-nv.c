/* fuzz-meter-nv.c - libFuzzer target: the meter's non-volatile memory as
 * it boots from it (firmware/core/nvrec.c and everything that trusts what
 * it loads).  An EEPROM holds whatever a power cut, a worn cell or someone
 * with a programmer left there; the meter must boot from any content
 * without a crash or undefined behaviour, and then meter correctly.
 *
 * Input: byte 0 is a mode, the rest the NV image (padded with FF, as
 * erased).  Mode bit 0 re-seals every slot (magic, version, meter number,
 * CRC), so the fuzzer also reaches the values behind the CRC, which only
 * a firmware bug or a programmer could put there.
 *
 * Checks after boot: the display text is a string of the glass's length;
 * a minute of heavy load (0.5 kWh, five energy saves) never lowers the
 * total energy nor changes the credit ever loaded, and lowers the remaining
 * credit by exactly what the phase registers counted.
 */
#include <string.h>

#include "fwcards.h"
#include "host_board.h"
#include "kv_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The meter of the firmware tests' office (tests/firmware/fwcards.c). */
static fw_office office;

static void reseal(uint8_t *nv, uint32_t base, uint32_t slots, uint32_t stride, uint32_t len,
                   char m1)
{
    for (uint32_t i = 0; i < slots; i++) {
        uint8_t *r = nv + base + i * stride;
        r[0] = 'K';
        r[1] = (uint8_t)m1;
        r[2] = 1;
        if (m1 == 'S')
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
    }
    host_board_init(&b, 124);
    n = size - 1 < sizeof b.nv ? size - 1 : sizeof b.nv;
    memcpy(b.nv, data + 1, n);
    if (data[0] & 1) {
        reseal(b.nv, NVREC_CONFIG_BASE, NVREC_CONFIG_SLOTS, NVREC_CONFIG_STRIDE,
               NVREC_CONFIG_LEN, 'C');
        reseal(b.nv, NVREC_STATE_BASE, NVREC_STATE_SLOTS, NVREC_STATE_STRIDE, NVREC_STATE_LEN,
               'S');
    }
    host_board_boot(&b, prov);
    if (memchr(b.text, '\0', sizeof b.text) == NULL)
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
