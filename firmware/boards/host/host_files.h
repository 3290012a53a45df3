/* host_files.h - the host board's memories as files in a state directory,
 * for kilovend-meter-sim, the station's meter window and the end-to-end
 * tests: nv.bin, the external EEPROM's image, and secure.bin, the MCU's
 * internal flash (the provisioning block and the internal record), kept
 * apart as on the board.  Files are replaced atomically (written to a
 * temporary file, then renamed) and made 0600: secure.bin holds keys. */
#ifndef HOST_FILES_H
#define HOST_FILES_H

#include <stddef.h>

#include "host_board.h"

/* Reads DIR/nv.bin and DIR/secure.bin into the board; a missing file
 * reads as erased, and an nv.bin of an earlier, shorter layout (the first
 * NVREC_V1_MARK_BASE bytes) as that much followed by erased bytes.
 * Returns 0 when both were read, 1 when one was missing, -1 when one is
 * damaged (a message in err). */
int host_board_load_files(host_board *b, const char *dir, char *err, size_t errlen);

/* Writes both; 0 on success, -1 (a message in err). */
int host_board_save_files(const host_board *b, const char *dir, char *err, size_t errlen);

/* Reads at most len bytes of path; returns how many, -1 if missing, -2 on
 * an error or a file longer than len. */
long host_file_read(const char *path, void *buf, size_t len);
/* Writes path as a temporary file (mode 0600) renamed over it: a crash
 * leaves the old or the new.  0 on success, -1. */
int host_file_write(const char *path, const void *buf, size_t len);

#endif
