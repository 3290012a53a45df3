/* e2e-meter-cut.c - a card inserted into the simulated meter while its
 * supply fails part-way through the load, for the fault sweep of the whole
 * loop (e2e-faults.py).
 *
 *   e2e-meter-cut --state DIR --config FILE --card FILE --cut-after N
 *
 * The meter of kilovend-meter-sim's state directory (DIR/nv.bin, the
 * EEPROM, and DIR/secure.bin, the MCU's internal flash) powers up
 * on the host board, the firmware's power-fail mechanism cuts the supply
 * after N more bytes written (NV memory and card alike; a card byte counts
 * twice, before its update and within it: host_board_power_budget), and the
 * card is inserted.  Afterwards the card file holds what the card holds and
 * DIR/nv.bin and DIR/secure.bin what the memories hold; DIR/ram.bin goes (RAM is lost), so the
 * next kilovend-meter-sim command powers the meter up again from its NV.
 * Prints one JSON line: whether the cut happened, the meter's result, the
 * NV and card bytes the load wrote before it (the power-up's own writes
 * come before the budget and are not counted).  N = -1: no cut (counts the writes
 * of a whole load).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "host_board.h"
#include "host_files.h"
#include "kv_util.h"
#include "vcard-store.h"

static host_board board;

int main(int argc, char **argv)
{
    g_autofree char *state = NULL, *config = NULL, *card_path = NULL;
    g_autofree char *ram_path = NULL, *prov = NULL;
    char err[4300];
    g_autoptr(GError) error = NULL;
    gint64 cut = -1;
    gsize len = 0;
    sle4442 card;
    unsigned nv0, card0;
    int rc;
    GOptionEntry entries[] = {
        {"state", 0, 0, G_OPTION_ARG_FILENAME, &state, "kilovend-meter-sim state directory", "DIR"},
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "provisioning block", "FILE"},
        {"card", 0, 0, G_OPTION_ARG_FILENAME, &card_path, "card file", "FILE"},
        {"cut-after", 0, 0, G_OPTION_ARG_INT64, &cut, "bytes written before the supply fails",
         "N"},
        G_OPTION_ENTRY_NULL};
    g_autoptr(GOptionContext) ctx = g_option_context_new("- a load cut by a power failure");

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || !state || !config || !card_path) {
        g_printerr("e2e-meter-cut: %s\n",
                   error ? error->message : "give --state DIR --config FILE --card FILE");
        return 2;
    }
    ram_path = g_build_filename(state, "ram.bin", NULL);
    if (!g_file_get_contents(config, &prov, &len, &error) || len != KV_PROVISION_LEN) {
        g_printerr("e2e-meter-cut: %s is not a provisioning block\n", config);
        return 2;
    }
    if (!vcard_store_load(card_path, &card, &error)) {
        g_printerr("e2e-meter-cut: %s\n", error->message);
        return 2;
    }

    host_board_init(&board, 301);
    if (host_board_load_files(&board, state, err, sizeof err) < 0) {
        g_printerr("e2e-meter-cut: %s\n", err);
        return 2;
    }
    host_board_boot(&board, (const uint8_t *)prov);
    /* Writes of the power-up (its event) are not the load's. */
    nv0 = board.nv_bytes_written + board.sec_bytes_written;
    card0 = board.card_bytes_written;
    host_board_power_budget(&board, (long)cut);
    rc = host_board_insert(&board, &card);
    host_board_remove(&board, &card);

    /* What outlives the cut: the card and the EEPROM.  RAM is gone. */
    if (!vcard_store_save(card_path, &card, &error)) {
        g_printerr("e2e-meter-cut: %s\n", error->message);
        return 1;
    }
    if (host_board_save_files(&board, state, err, sizeof err) != 0) {
        g_printerr("e2e-meter-cut: %s\n", err);
        return 1;
    }
    if (g_unlink(ram_path) != 0 && errno != ENOENT) {
        g_printerr("e2e-meter-cut: cannot remove %s\n", ram_path);
        return 1;
    }
    printf("{\"cut\":%s,\"result\":%d,\"nv_bytes\":%u,\"card_bytes\":%u,\"budget_used\":%u}\n",
           board.power_cut ? "true" : "false", rc,
           board.nv_bytes_written + board.sec_bytes_written - nv0,
           board.card_bytes_written - card0,
           board.nv_bytes_written + board.sec_bytes_written - nv0 +
               2 * (board.card_bytes_written - card0));
    meter_wipe(&board.m);
    kv_wipe(prov, KV_PROVISION_LEN);
    return 0;
}
