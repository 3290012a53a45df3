/* test-contract.c - runs the portable contract tests on the host. */
#include <stdio.h>

#include "kvtest.h"

void kvtest_puts(const char *s)
{
    fputs(s, stdout);
}

int main(void)
{
    return kv_contract_tests() == 0 ? 0 : 1;
}
