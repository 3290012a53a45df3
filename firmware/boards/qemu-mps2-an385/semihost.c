/* semihost.c - ARM semihosting (bkpt 0xAB) for QEMU. */
#include "semihost.h"

#include <string.h>

static int semihost_call(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_write0(const char *s)
{
    semihost_call(0x04, (void *)s);
}

void semihost_exit(int code)
{
    uint32_t block[2] = {0x20026u, (uint32_t)code}; /* ADP_Stopped_ApplicationExit */
    semihost_call(0x20, block);
    for (;;)
        ;
}

int semihost_open(const char *path, int mode)
{
    uint32_t block[3] = {(uint32_t)path, (uint32_t)mode, (uint32_t)strlen(path)};
    return semihost_call(0x01, block);
}

int semihost_read(int fd, void *buf, size_t len)
{
    uint32_t block[3] = {(uint32_t)fd, (uint32_t)buf, (uint32_t)len};
    return semihost_call(0x06, block);
}

int semihost_write(int fd, const void *buf, size_t len)
{
    uint32_t block[3] = {(uint32_t)fd, (uint32_t)buf, (uint32_t)len};
    return semihost_call(0x05, block);
}

int semihost_close(int fd)
{
    uint32_t block[1] = {(uint32_t)fd};
    return semihost_call(0x02, block);
}

uint32_t semihost_clock(void)
{
    return (uint32_t)semihost_call(0x10, NULL);
}
