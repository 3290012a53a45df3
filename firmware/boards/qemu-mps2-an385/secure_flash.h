/* secure_flash.h - the secure store (meter_io.h, meter_secure_ops) of the
 * QEMU mps2-an385 board: the last five 1 KiB pages of its 4 MiB code
 * memory, 0x003FEC00..0x003FFFFF (link.ld), which the image fills with FF
 * so every run starts from erased flash, as a newly flashed part does (the
 * provisioning block page, 0x003FFC00, can be filled with QEMU's
 * -device loader,file=prov.bin,addr=0x003ffc00).  QEMU's code memory is
 * RAM: the driver keeps the flash rules (erase by page to FF, programming
 * only clears bits, half-words) so the core meets them here too. */
#ifndef KV_SECURE_FLASH_H
#define KV_SECURE_FLASH_H

#include "meter_io.h"

void secure_flash_ops(meter_secure_ops *ops);

#endif
