/* flash.h - the STM32F103's internal flash as the meter's secure store
 * (meter_io.h, meter_secure_ops): the last METER_SECURE_PAGES 1 KiB pages
 * of the firmware's 32 KiB budget, 0x08006C00..0x08007FFF (link.ld):
 * four pages for the internal record, then the provisioning block page at
 * 0x08007C00.  Reads are plain loads; erase and program go through the
 * flash controller (RM0008 section 3.3.3, PM0075), with bounded waits. */
#ifndef BOARD_FLASH_H
#define BOARD_FLASH_H

#include "meter_io.h"

void flash_secure_ops(meter_secure_ops *ops);

#endif
