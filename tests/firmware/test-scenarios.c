/* test-scenarios.c - the meter's scenario table on the host board. */
#include <stdio.h>

#include "kvtest.h"
#include "scenarios.h"

void kvtest_puts(const char *s)
{
    fputs(s, stdout);
}

int main(void)
{
    unsigned failed = fw_scenarios_run();
    printf("%u scenarios, %u checks, %u failed\n", fw_scenarios_count(), kvtest_checks, failed);
    return failed ? 1 : 0;
}
