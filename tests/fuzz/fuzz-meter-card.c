/* fuzz-meter-card.c - libFuzzer target: a card of any content inserted
 * into the meter (firmware/core/cardproc.c on the host board).  A card is
 * the meter's only input from the customer: whatever it holds, the meter
 * must not crash, and credit must come only through the loading rule.
 * The meter talks to the chip model at the command level here (the real
 * driver over the wire front end costs 50 times more per card; both have
 * targets of their own, icc-driver and sle-wire).
 *
 * Input: byte 0 is a mode, bytes 1..256 the card's main memory, 257..260
 * its security memory (error counter, PSC), then the fields of up to two
 * tokens (fuzz_token.h).  Mode bit 0 issues the card to the meter under
 * test (identity for this meter, its PSC, 0x20.. from the input), so the
 * fuzzer reaches what follows the identity and PSC checks; bits 1 and 2
 * seal a token from the fields into slot A, resp. B, so it reaches what
 * follows the MAC.  The card is inserted twice (the second time it carries
 * the meter's readback).
 *
 * Checks after each insertion: the credit remaining moves with the credit
 * loaded (remaining - loaded is unchanged: a card never adds credit any
 * other way), the credit loaded and the energy never go down, the display
 * holds a string of the glass's length.  The emergency allowance the meter
 * keeps is the one it booted with (none) or the body byte 22 of a parameter
 * token sealed on the card; after the run the button is held twice: taking
 * the emergency credit adds no credit, needs an allowance, and the second
 * hold takes nothing. */
#include <string.h>

#include "fuzz_input.h"
#include "fuzz_token.h"
#include "fwcards.h"
#include "host_board.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_MAIN 1
#define IN_SEC (IN_MAIN + SLE_MAIN_SIZE)
#define IN_TOKENS (IN_SEC + 4)
#define IN_LEN (IN_TOKENS + 2 * FUZZ_TOKEN_FIELDS)

static fw_office office;
static kv_meter_keys keys; /* the office's, derived once */
static host_board booted, b;

/* The meter's card interface on the chip in the board's slot, at the
 * command level, with the driver's results (icc_sle4442.c). */
static meter_card_result c_read(void *ctx, uint8_t image[256])
{
    sle4442 *c = ctx;
    sle_power_on(c);
    return sle_read_main(c, 0, image, 256) == SLE_OK ? METER_CARD_OK : METER_CARD_IO;
}

static meter_card_result c_verify(void *ctx, const uint8_t psc[3], unsigned *tries_left)
{
    sle4442 *c = ctx;
    *tries_left = sle_tries_left(c);
    if (*tries_left == 0)
        return METER_CARD_LOCKED;
    return sle_verify_psc(c, psc) == SLE_OK ? METER_CARD_OK : METER_CARD_PSC;
}

static meter_card_result c_write(void *ctx, unsigned addr, uint8_t value)
{
    sle4442 *c = ctx;
    uint8_t back;
    (void)sle_update_main(c, addr, value);
    if (sle_read_main(c, addr, &back, 1) != SLE_OK)
        return METER_CARD_IO;
    return back == value ? METER_CARD_OK : METER_CARD_WRITE;
}

static void c_release(void *ctx)
{
    sle_power_on(ctx);
}

static void boot_once(void)
{
    uint8_t prov[KV_PROVISION_LEN];
    fw_office_init(&office, 0x4B560001u, 12345678);
    fw_office_keys(&office, &keys);
    fw_office_provision(&office, 2000, 500, 1000000, 0, 0, prov);
    host_board_init(&b, 124);
    host_board_boot(&b, prov);
    b.m.card = (meter_card_ops){&b.chip, c_read, c_verify, c_write, c_release};
    /* The board's pointers all point into b itself: a copy of it put back
     * into b is the same board, freshly booted. */
    booted = b;
}

/* What fw_card_issue makes, without deriving the keys for every input. */
static void issue(sle4442 *card, uint8_t type, uint32_t serial)
{
    kv_identity id = {KV_FORMAT_VERSION, type, office.utility, serial, office.meter,
                      office.key_version};
    if (kv_identity_encode(&id, card->main + KV_ID_OFF) != KV_OK)
        return;
    memset(card->prot, 0, sizeof card->prot); /* bytes 0..31 locked */
    kv_card_psc(&keys, serial, card->sec + 1);
}

static void insert_checked(sle4442 *card)
{
    int64_t margin = (int64_t)b.m.st.remaining - b.m.st.cumulative_loaded;
    uint32_t loaded = b.m.st.cumulative_loaded, energy = meter_total_energy(&b.m);

    host_board_insert(&b, card);
    host_board_remove(&b, card);
    if ((int64_t)b.m.st.remaining - b.m.st.cumulative_loaded != margin ||
        b.m.st.cumulative_loaded < loaded || meter_total_energy(&b.m) != energy ||
        memchr(b.text, '\0', sizeof b.text) == NULL)
        __builtin_trap();
}

/* The allowance is none or one a parameter token on the card carried. */
static void check_allowance(const uint8_t *in, const kv_identity *id, int sealed)
{
    uint8_t kwh = b.m.cfg.emergency_kwh;

    if (kwh == 0)
        return;
    if (!sealed || id->card_type != KV_CARD_PARAMETER ||
        !(((in[0] & 2) && in[IN_TOKENS + FUZZ_TOKEN_EMERGENCY] == kwh) ||
          ((in[0] & 4) && in[IN_TOKENS + FUZZ_TOKEN_FIELDS + FUZZ_TOKEN_EMERGENCY] == kwh)))
        __builtin_trap();
}

/* The button held at whatever state the run left: no credit comes of it. */
static void hold_twice(void)
{
    int32_t remaining = b.m.st.remaining;
    uint32_t loaded = b.m.st.cumulative_loaded;
    int taken = meter_emergency(&b.m);

    if (b.m.st.remaining != remaining || b.m.st.cumulative_loaded != loaded ||
        (taken && b.m.cfg.emergency_kwh == 0) || meter_emergency(&b.m) != 0 ||
        b.m.st.remaining != remaining)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int32_t watts[3] = {500, 0, 0};
    uint8_t in[IN_LEN];
    sle4442 card;
    kv_identity id;
    int sealed = 0;

    if (!booted.m.provisioned)
        boot_once();
    b = booted;
    fuzz_input(in, sizeof in, 0xFF, data, size);

    fw_card_blank(&card);
    if (in[0] & 1) {
        issue(&card, fuzz_card_type(in[IN_MAIN + 5]), kv_get_be32(in + IN_MAIN + 10));
        memcpy(card.main + KV_TOKEN_A, in + IN_MAIN + KV_TOKEN_A, SLE_MAIN_SIZE - KV_TOKEN_A);
    } else {
        memcpy(card.main, in + IN_MAIN, SLE_MAIN_SIZE);
        memcpy(card.sec, in + IN_SEC, 4);
        card.sec[0] &= 7;
    }
    if ((in[0] & 6) && kv_card_identity(card.main, &id) == KV_OK) {
        sealed = 1;
        for (int s = 0; s < 2; s++) {
            kv_token t;
            if (!(in[0] & (2 << s)))
                continue;
            fuzz_token_fields(in + IN_TOKENS + s * FUZZ_TOKEN_FIELDS,
                              (uint8_t)kv_card_token_kind((kv_card_type)id.card_type),
                              keys.key_version, &t);
            (void)kv_token_seal(&keys, &id, &t, card.main + (s ? KV_TOKEN_B : KV_TOKEN_A));
        }
    }

    insert_checked(&card);
    insert_checked(&card);
    check_allowance(in, &id, sealed);
    host_board_run(&b, watts, 7, 2);
    if (memchr(b.text, '\0', sizeof b.text) == NULL)
        __builtin_trap();
    hold_twice();
    return 0;
}
