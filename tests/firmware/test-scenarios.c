/* test-scenarios.c - the meter's scenario table on the host board. */
#include <stdio.h>

#include "kvtest.h"
#include "lcd_ht1621.h"
#include "scenarios.h"

void kvtest_puts(const char *s)
{
    fputs(s, stdout);
}

/* The identification pages fit the glass: all ten cells, nothing dropped. */
static void lcd_pages_fit(void)
{
    uint8_t cells[LCD_HT1621_CELLS];
    int kwh;
    KV_CHECK(lcd_ht1621_render("n123456782", cells, &kwh) == LCD_HT1621_CELLS);
    KV_CHECK(cells[0] == lcd_ht1621_glyph('n') && cells[9] == lcd_ht1621_glyph('2') && !kwh);
    KV_CHECK(lcd_ht1621_render("UEr 0.1.0", cells, &kwh) == 7);
    KV_CHECK(cells[0] == lcd_ht1621_glyph('U') && cells[4] == (lcd_ht1621_glyph('0') | 0x80));
}

int main(void)
{
    lcd_pages_fit();
    fw_scenarios_run();
    printf("%u scenarios, %u checks, %u failed\n", fw_scenarios_count(), kvtest_checks,
           kvtest_failures);
    return kvtest_failures ? 1 : 0;
}
