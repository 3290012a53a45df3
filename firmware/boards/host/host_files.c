/* host_files.c - the host board's memories as files (see host_files.h). */
#include "host_files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

long host_file_read(const char *path, void *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    int extra;
    if (!f)
        return errno == ENOENT ? -1 : -2;
    n = fread(buf, 1, len, f);
    extra = fgetc(f);
    fclose(f);
    return extra == EOF ? (long)n : -2;
}

int host_file_write(const char *path, const void *buf, size_t len)
{
    char tmp[4200];
    FILE *f;
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    f = fopen(tmp, "wb");
    if (!f)
        return -1;
    chmod(tmp, 0600);
    if (fwrite(buf, 1, len, f) != len || fflush(f) != 0) {
        fclose(f);
        remove(tmp);
        return -1;
    }
    fclose(f);
    return rename(tmp, path);
}

static int path_in(char *out, size_t outlen, const char *dir, const char *name)
{
    return snprintf(out, outlen, "%s/%s", dir, name) < (int)outlen ? 0 : -1;
}

int host_board_load_files(host_board *b, const char *dir, char *err, size_t errlen)
{
    char path[4096];
    long n;
    int missing = 0;

    if (path_in(path, sizeof path, dir, "nv.bin") != 0) {
        snprintf(err, errlen, "state directory name too long");
        return -1;
    }
    n = host_file_read(path, b->nv, sizeof b->nv);
    if (n == -1) {
        missing = 1;
    } else if (n != (long)sizeof b->nv && n != (long)NVREC_V1_MARK_BASE) {
        snprintf(err, errlen, "%s is not a meter memory (%s): move it away to start a fresh meter",
                 path, n < 0 ? "unreadable" : "wrong size");
        memset(b->nv, 0xFF, sizeof b->nv);
        return -1;
    } else if (n < (long)sizeof b->nv) {
        /* the layout before the load mark: the rest reads as erased */
        memset(b->nv + n, 0xFF, sizeof b->nv - (size_t)n);
    }
    path_in(path, sizeof path, dir, "secure.bin");
    n = host_file_read(path, b->sec, sizeof b->sec);
    if (n == -1) {
        missing = 1;
    } else if (n != (long)sizeof b->sec) {
        snprintf(err, errlen, "%s is not a meter's internal flash (%s)", path,
                 n < 0 ? "unreadable" : "wrong size");
        memset(b->sec, 0xFF, sizeof b->sec);
        return -1;
    }
    return missing;
}

int host_board_save_files(const host_board *b, const char *dir, char *err, size_t errlen)
{
    char path[4096];
    if (path_in(path, sizeof path, dir, "nv.bin") != 0 ||
        host_file_write(path, b->nv, sizeof b->nv) != 0 ||
        path_in(path, sizeof path, dir, "secure.bin") != 0 ||
        host_file_write(path, b->sec, sizeof b->sec) != 0) {
        snprintf(err, errlen, "cannot save the meter's memories in %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}
