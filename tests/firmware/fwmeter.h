/* fwmeter.h - the meter most firmware tests start from, on the host board. */
#ifndef FWMETER_H
#define FWMETER_H

#include "fwcards.h"
#include "host_board.h"

/* A fresh board and office (utility 4B560001, meter 12345678 + check
 * digit; alarm 20 kWh, pre-trip 5 kWh, hoarding limit 1000 kWh, no
 * maximum power, reconnect 30 s), the meter booted with its block, and
 * user card 1001 sold `credit` (0.01 kWh), loaded and taken out again. */
void fw_meter_loaded(host_board *b, fw_office *o, uint8_t prov[KV_PROVISION_LEN], sle4442 *card,
                     uint32_t credit);

#endif
