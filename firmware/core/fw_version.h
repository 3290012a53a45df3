/* fw_version.h - the firmware version the meter shows (button page 8).
 *
 * One source of truth: the project version in the top-level meson.build.
 * The cross build passes it as -DPACKAGE_VERSION; the host build (the
 * simulator, the tests) has it in the generated config.h. */
#ifndef FW_VERSION_H
#define FW_VERSION_H

#ifndef PACKAGE_VERSION
#include "config.h"
#endif

#define METER_FW_VERSION PACKAGE_VERSION

#endif
