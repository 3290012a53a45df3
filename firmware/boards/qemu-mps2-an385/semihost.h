/* semihost.h - ARM semihosting calls for the QEMU board (tests, console). */
#ifndef KV_SEMIHOST_H
#define KV_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

void semihost_write0(const char *s);
/* Ends QEMU with this exit status (SYS_EXIT_EXTENDED). */
void semihost_exit(int code) __attribute__((noreturn));
/* File access through the host: returns a handle or -1. mode: 0 = "rb",
 * 4 = "wb" (ISO C fopen modes as semihosting numbers them). */
int semihost_open(const char *path, int mode);
/* Returns the number of bytes NOT transferred (0 = all). */
int semihost_read(int fd, void *buf, size_t len);
int semihost_write(int fd, const void *buf, size_t len);
int semihost_close(int fd);
/* Instruction-count clock: centiseconds since start (SYS_CLOCK). */
uint32_t semihost_clock(void);

#endif
