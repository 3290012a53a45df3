/* nvattacks.h - attacks on the meter's EEPROM with a clip on the chip,
 * each a named test that performs the attack on the host board and checks
 * it refused or detected (docs/security-model.md).  Portable: runs on the
 * PC and, the same source, on Cortex-M3 in QEMU. */
#ifndef NVATTACKS_H
#define NVATTACKS_H

#include "host_board.h"

/* Runs every attack on rig (its internal flash through rig->sec_ops, the
 * host array unless a board put its own); returns the failed checks. */
unsigned fw_nvattacks_run(host_board *rig);

/* One attack by name ("eeprom-erased", ...) for a board's own flash
 * driver; returns the failed checks, or 1 if there is no such attack. */
unsigned fw_nvattack_one(host_board *rig, const char *name);

#endif
