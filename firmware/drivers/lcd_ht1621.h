/* lcd_ht1621.h - the meter's segment LCD on an HT1621 controller.
 *
 * 10 seven-segment cells with decimal points plus annunciators, driven over
 * the HT1621's 3-wire interface (CS, WR, DATA).  lcd_ht1621_show() takes the core's
 * display text (docs/display-codes.md) and icons. */
#ifndef LCD_HT1621_H
#define LCD_HT1621_H

#include <stdint.h>

#define LCD_HT1621_CELLS 10

typedef struct {
    void *ctx;
    void (*cs)(void *ctx, int level);
    void (*wr)(void *ctx, int level);
    void (*data)(void *ctx, int level);
    void (*delay_us)(void *ctx, unsigned us);
} lcd_ht1621;

void lcd_ht1621_init(const lcd_ht1621 *l);
/* Seven-segment pattern of a character (bit 0 = a ... bit 6 = g). */
uint8_t lcd_ht1621_glyph(char c);
/* Text into cell patterns (bit 7 = the cell's point); returns the number of
 * cells used; a trailing "kWh" sets *kwh. */
unsigned lcd_ht1621_render(const char *text, uint8_t cells[LCD_HT1621_CELLS], int *kwh);
void lcd_ht1621_show(const lcd_ht1621 *l, const char *text, unsigned icons);

#endif
