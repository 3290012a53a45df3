/* kvtest.h - a tiny test harness that runs on the host and on bare metal.
 * The platform provides kvtest_puts(); everything else is portable. */
#ifndef KVTEST_H
#define KVTEST_H

void kvtest_puts(const char *s);          /* provided by the platform */
void kvtest_fail_at(const char *file, int line, const char *what);
void kvtest_print_u32(const char *label, unsigned long v);
extern unsigned kvtest_failures;
extern unsigned kvtest_checks;

#define KV_CHECK(cond)                                          \
    do {                                                        \
        kvtest_checks++;                                        \
        if (!(cond))                                            \
            kvtest_fail_at(__FILE__, __LINE__, #cond);          \
    } while (0)

/* The contract tests, portable.  Return the number of failures. */
unsigned kv_contract_tests(void);

#endif
