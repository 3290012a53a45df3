/* display.c - texts of the segment LCD (see display.h). */
#include "display.h"

static unsigned put_str(char *out, unsigned n, const char *s)
{
    while (*s && n < METER_TEXT_LEN - 1)
        out[n++] = *s++;
    out[n] = '\0';
    return n;
}

static unsigned put_dec(char *out, unsigned n, uint32_t v, unsigned width)
{
    char tmp[10];
    unsigned k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && k < sizeof tmp);
    while (k < width && k < sizeof tmp)
        tmp[k++] = '0';
    while (k && n < METER_TEXT_LEN - 1)
        out[n++] = tmp[--k];
    out[n] = '\0';
    return n;
}

void display_copy(char out[METER_TEXT_LEN], const char *s)
{
    put_str(out, 0, s);
}

int display_is_kwh(const char *text, unsigned len)
{
    /* not strcmp: the C library's takes 0.4 KiB of the meter's flash */
    return len >= 3 && text[len - 3] == 'k' && text[len - 2] == 'W' && text[len - 1] == 'h';
}

void display_energy(char out[METER_TEXT_LEN], const char *prefix, int32_t centi_kwh)
{
    unsigned n = put_str(out, 0, prefix);
    uint32_t v;
    if (centi_kwh < 0) {
        /* Over-zero: the minus sign takes a cell. */
        v = (uint32_t)(-(int64_t)centi_kwh);
        n = put_str(out, n, "-");
        if (v < 100000u) {
            n = put_dec(out, n, v / 100, 3);
            n = put_str(out, n, ".");
            n = put_dec(out, n, v % 100, 2);
        } else {
            n = put_dec(out, n, v / 100 > 999999u ? 999999u : v / 100, 6);
        }
    } else {
        v = (uint32_t)centi_kwh;
        if (v < 1000000u) {
            n = put_dec(out, n, v / 100, 4);
            n = put_str(out, n, ".");
            n = put_dec(out, n, v % 100, 2);
        } else if (v < 10000000u) {
            n = put_dec(out, n, v / 100, 5);
            n = put_str(out, n, ".");
            n = put_dec(out, n, v / 10 % 10, 1);
        } else {
            n = put_dec(out, n, v / 100 > 9999999u ? 9999999u : v / 100, 7);
        }
    }
    put_str(out, n, "kWh");
}

void display_error(char out[METER_TEXT_LEN], unsigned code)
{
    put_dec(out, put_str(out, 0, "Err "), code, 2);
}

void display_number(char out[METER_TEXT_LEN], const char *prefix, uint32_t v, unsigned width)
{
    put_dec(out, put_str(out, 0, prefix), v, width);
}

void display_power(char out[METER_TEXT_LEN], uint32_t watts)
{
    unsigned n = put_str(out, 0, "P ");
    n = put_dec(out, n, watts / 1000 > 9999u ? 9999u : watts / 1000, 4);
    n = put_str(out, n, ".");
    put_dec(out, n, watts % 1000, 3);
}

/* prefix, then for bit i of flags letters[i] if set, else '-' */
static unsigned put_flags(char *out, const char *prefix, unsigned flags, const char *letters)
{
    unsigned n = put_str(out, 0, prefix);
    for (unsigned i = 0; letters[i] && n < METER_TEXT_LEN - 1; i++)
        out[n++] = flags & (1u << i) ? letters[i] : '-';
    out[n] = '\0';
    return n;
}

void display_tamper(char out[METER_TEXT_LEN], uint8_t tamper)
{
    unsigned n = put_flags(out, "tAMP ", tamper, "CrP");
    if (tamper & METER_TAMPER_NV)
        put_str(out, n, "E");
}

void display_faults(char out[METER_TEXT_LEN], uint8_t faults)
{
    put_flags(out, "FLt ", faults, "CEnc");
}

void display_events(char out[METER_TEXT_LEN], const uint8_t *events)
{
    static const char hex[] = "0123456789AbCdEF";
    unsigned n = put_str(out, 0, "Ev ");
    for (int i = 0; i < 3; i++) {
        char two[3] = {hex[events[i] >> 4], hex[events[i] & 15], 0};
        n = put_str(out, n, two);
    }
}

void display_meter_number(char out[METER_TEXT_LEN], uint32_t meter_number)
{
    put_dec(out, put_str(out, 0, "n"), meter_number % 1000000000u, 9);
}

void display_version(char out[METER_TEXT_LEN], const char *version)
{
    unsigned n = put_str(out, 0, "UEr ");
    for (; *version && n < METER_TEXT_LEN - 1; version++) {
        char c = *version;
        out[n++] = (c >= '0' && c <= '9') || c == '.' ? c : '-';
    }
    out[n] = '\0';
}
