/* arm-main.c - runs the portable contract tests on Cortex-M3 (QEMU). */
#include "kvtest.h"
#include "semihost.h"

void kvtest_puts(const char *s)
{
    semihost_write0(s);
}

int main(void)
{
    return kv_contract_tests() == 0 ? 0 : 1;
}
