/* kvtest.c - portable harness core. */
#include "kvtest.h"

unsigned kvtest_failures;
unsigned kvtest_checks;

static void put_dec(unsigned long v)
{
    char buf[12];
    int i = 11;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    kvtest_puts(buf + i);
}

void kvtest_print_u32(const char *label, unsigned long v)
{
    kvtest_puts(label);
    put_dec(v);
    kvtest_puts("\n");
}

void kvtest_fail_at(const char *file, int line, const char *what)
{
    kvtest_failures++;
    kvtest_puts("FAIL ");
    kvtest_puts(file);
    kvtest_puts(":");
    put_dec((unsigned long)line);
    kvtest_puts(": ");
    kvtest_puts(what);
    kvtest_puts("\n");
}
