/* fuzz-meter-card.c - libFuzzer target: a card of any content inserted
 * into the meter (firmware/core/cardproc.c on the host board: the chip
 * model behind its wire front end, read by the real driver).  A card is
 * the meter's only input from the customer: whatever it holds, the meter
 * must not crash, and credit must come only through the loading rule.
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
 * holds a string of the glass's length. */
#include <string.h>

#include "fuzz_token.h"
#include "fwcards.h"
#include "host_board.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_MAIN 1
#define IN_SEC (IN_MAIN + SLE_MAIN_SIZE)
#define IN_TOKENS (IN_SEC + 4)
#define IN_LEN (IN_TOKENS + 2 * FUZZ_TOKEN_FIELDS)

static fw_office office;
static host_board booted, b;

static void boot_once(void)
{
    uint8_t prov[KV_PROVISION_LEN];
    fw_office_init(&office, 0x4B560001u, 12345678);
    fw_office_provision(&office, 2000, 500, 1000000, 0, 0, prov);
    host_board_init(&booted, 124);
    host_board_boot(&booted, prov);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int32_t watts[3] = {500, 0, 0};
    uint8_t in[IN_LEN];
    sle4442 card;
    kv_meter_keys keys;
    kv_identity id;

    if (!booted.m.provisioned)
        boot_once();
    b = booted; /* the board refers to itself only: a copy back is the same board */
    memset(in, 0xFF, sizeof in);
    memcpy(in, data, size < sizeof in ? size : sizeof in);

    fw_card_blank(&card);
    if (in[0] & 1) {
        fw_card_issue(&card, &office, fuzz_card_type(in[IN_MAIN + 5]),
                      kv_get_be32(in + IN_MAIN + 10));
        memcpy(card.main + KV_TOKEN_A, in + IN_MAIN + KV_TOKEN_A, SLE_MAIN_SIZE - KV_TOKEN_A);
    } else {
        memcpy(card.main, in + IN_MAIN, SLE_MAIN_SIZE);
        memcpy(card.sec, in + IN_SEC, 4);
        card.sec[0] &= 7;
    }
    if ((in[0] & 6) && kv_card_identity(card.main, &id) == KV_OK) {
        fw_office_keys(&office, &keys);
        for (int s = 0; s < 2; s++) {
            kv_token t;
            if (!(in[0] & (2 << s)))
                continue;
            fuzz_token_fields(in + IN_TOKENS + s * FUZZ_TOKEN_FIELDS,
                              (uint8_t)kv_card_token_kind((kv_card_type)id.card_type),
                              keys.key_version, &t);
            (void)kv_token_seal(&keys, &id, &t, card.main + (s ? KV_TOKEN_B : KV_TOKEN_A));
        }
        kv_meter_keys_wipe(&keys);
    }

    insert_checked(&card);
    insert_checked(&card);
    host_board_run(&b, watts, 7, 2);
    if (memchr(b.text, '\0', sizeof b.text) == NULL)
        __builtin_trap();
    return 0;
}
