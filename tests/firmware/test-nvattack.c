/* test-nvattack.c - the EEPROM clip attacks on the host board
 * (nvattacks.c; the same table runs in QEMU from tests/arm). */
#include <stdio.h>

#include "kvtest.h"
#include "nvattacks.h"

void kvtest_puts(const char *s)
{
    fputs(s, stdout);
}

static host_board board;

int main(void)
{
    fw_nvattacks_run(&board);
    printf("%u checks, %u failed\n", kvtest_checks, kvtest_failures);
    return kvtest_failures ? 1 : 0;
}
