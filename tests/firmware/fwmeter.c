/* fwmeter.c - see fwmeter.h. */
#include "fwmeter.h"

void fw_meter_loaded(host_board *b, fw_office *o, uint8_t prov[KV_PROVISION_LEN], sle4442 *card,
                     uint32_t credit)
{
    host_board_init(b, 200);
    fw_office_init(o, 0x4B560001u, 12345678);
    fw_office_provision(o, 2000, 500, 100000, 0, 30, prov);
    host_board_boot(b, prov);
    fw_card_issue(card, o, KV_CARD_USER, 1001);
    fw_card_sell(card, o, credit, -1);
    host_board_insert(b, card);
    host_board_remove(b, card);
}
