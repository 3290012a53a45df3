/* kv-gui-card-check.c - what a card file holds, decoded with the station's
 * keys: the end-to-end tests check the credit a sale wrote on the virtual
 * card with it.
 *
 *   kv-gui-card-check DB KEYS CARDFILE
 *   -> meter=N serial=N seq=N cumulative=N amount=N  (0.01 kWh)
 *
 * Decodes only: the card and the database are left as they are. */
#include "config.h"

#include <stdio.h>

#include "kv-core.h"
#include "kv-demo.h"

int main(int argc, char *argv[])
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvCardLink) link = NULL;
    g_autoptr(KvMeter) meter = NULL;
    kv_identity id;
    kv_meter_keys keys;
    kv_card_view view;
    const guint8 *image;

    if (argc != 4) {
        fprintf(stderr, "usage: kv-gui-card-check DB KEYS CARDFILE\n");
        return 2;
    }
    st = kv_station_open(argv[1], argv[2], &error);
    if (st == NULL || !kv_station_login(st, KV_DEMO_ADMIN, KV_DEMO_ADMIN_PASSWORD, &error) ||
        !kv_station_unlock_keys(st, KV_DEMO_PASSPHRASE, NULL, NULL, &error))
        goto fail;
    link = kv_card_link_file_open(argv[3], &error);
    if (link == NULL)
        goto fail;
    image = kv_card_link_image(link);
    if (kv_card_identity(image, &id) != KV_OK) {
        fprintf(stderr, "kv-gui-card-check: no identity on the card\n");
        return 1;
    }
    meter = kv_meter_get(st, id.meter_number, &error);
    if (meter == NULL || !kv_meter_keys_derive(st, id.meter_number, meter->key_version, &keys,
                                                &error))
        goto fail;
    if (kv_card_decode(&keys, image, &view) != KV_OK || view.token_err != KV_OK) {
        kv_meter_keys_wipe(&keys);
        fprintf(stderr, "kv-gui-card-check: no valid token on the card\n");
        return 1;
    }
    kv_meter_keys_wipe(&keys);
    printf("meter=%u serial=%u seq=%u cumulative=%u amount=%u\n", id.meter_number,
           id.card_serial, view.token.seq, view.token.u.credit.cumulative,
           view.token.u.credit.amount);
    return 0;

fail:
    fprintf(stderr, "kv-gui-card-check: %s\n", error->message);
    return 1;
}
