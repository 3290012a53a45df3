/* lcd_ht1621.c - segment LCD on an HT1621 (see lcd_ht1621.h). */
#include "lcd_ht1621.h"

#include <string.h>

#include "display.h"
#include "meter_io.h"

/* HT1621 commands (100 = command mode, then 9 bits). */
#define CMD_SYS_EN 0x01
#define CMD_LCD_ON 0x03
#define CMD_BIAS_13_4COM 0x29

static void bits(const lcd_ht1621 *l, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        l->wr(l->ctx, 0);
        l->data(l->ctx, (v >> i) & 1);
        l->delay_us(l->ctx, 2);
        l->wr(l->ctx, 1);
        l->delay_us(l->ctx, 2);
    }
}

static void command(const lcd_ht1621 *l, uint8_t c)
{
    l->cs(l->ctx, 0);
    bits(l, 0x4, 3);
    bits(l, (uint32_t)c << 1, 9);
    l->cs(l->ctx, 1);
}

void lcd_ht1621_init(const lcd_ht1621 *l)
{
    command(l, CMD_SYS_EN);
    command(l, CMD_BIAS_13_4COM);
    command(l, CMD_LCD_ON);
}

uint8_t lcd_ht1621_glyph(char c)
{
    static const uint8_t digits[10] = {0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F};
    if (c >= '0' && c <= '9')
        return digits[c - '0'];
    switch (c) {
    case 'A': return 0x77;
    case 'b': return 0x7C;
    case 'C': return 0x39;
    case 'c': return 0x58;
    case 'd': return 0x5E;
    case 'E': return 0x79;
    case 'F': return 0x71;
    case 'G': return 0x3D;
    case 'H': return 0x76;
    case 'L': return 0x38;
    case 'M': return 0x37; /* shown as an n-like glyph: a 7-segment compromise */
    case 'n': return 0x54;
    case 'O': return 0x3F;
    case 'o': return 0x5C;
    case 'P': return 0x73;
    case 'r': return 0x50;
    case 'S': return 0x6D;
    case 't': return 0x78;
    case 'U': return 0x3E;
    case 'V': return 0x3E;
    case '-': return 0x40;
    default: return 0x00;
    }
}

unsigned lcd_ht1621_render(const char *text, uint8_t cells[LCD_HT1621_CELLS], int *kwh)
{
    size_t len = strlen(text);
    unsigned n = 0;
    *kwh = display_is_kwh(text, (unsigned)len);
    if (*kwh)
        len -= 3;
    memset(cells, 0, LCD_HT1621_CELLS);
    for (size_t i = 0; i < len && n <= LCD_HT1621_CELLS; i++) {
        if (text[i] == '.' && n > 0) {
            cells[n - 1] |= 0x80;
            continue;
        }
        if (n == LCD_HT1621_CELLS)
            break;
        cells[n++] = lcd_ht1621_glyph(text[i]);
    }
    return n;
}

void lcd_ht1621_show(const lcd_ht1621 *l, const char *text, unsigned icons)
{
    uint8_t cells[LCD_HT1621_CELLS];
    int kwh;
    lcd_ht1621_render(text, cells, &kwh);
    /* Write mode (101), address 0, then two 4-bit nibbles per cell and one
     * byte of annunciators, in the order of this glass. */
    l->cs(l->ctx, 0);
    bits(l, 0x5, 3);
    bits(l, 0, 6);
    for (unsigned i = 0; i < LCD_HT1621_CELLS; i++)
        bits(l, cells[i], 8);
    bits(l, (icons & 0x7Fu) | (kwh ? METER_ICON_KWH : 0), 8);
    l->cs(l->ctx, 1);
}
