/* display.h - the texts of the segment LCD (docs/display-codes.md).
 *
 * The glass has 10 seven-segment cells with a decimal point each and a kWh
 * annunciator; texts here use only characters a seven-segment cell can show,
 * '.' lights the point of the cell before it, and a trailing "kWh" lights
 * the annunciator.  No printf: integer formatting only. */
#ifndef DISPLAY_H
#define DISPLAY_H

#include <stdint.h>

#include "meter.h"

/* "0123.45kWh", "-000.25kWh", "12345.6kWh", prefixed with prefix. */
void display_energy(char out[METER_TEXT_LEN], const char *prefix, int32_t centi_kwh);
/* "Err 07" */
void display_error(char out[METER_TEXT_LEN], unsigned code);
/* prefix followed by a zero-padded decimal of width digits */
void display_number(char out[METER_TEXT_LEN], const char *prefix, uint32_t v, unsigned width);
/* "P 0012.345": kW with three decimals */
void display_power(char out[METER_TEXT_LEN], uint32_t watts);
/* "tAMP Cr-" */
void display_tamper(char out[METER_TEXT_LEN], uint8_t tamper);
/* "FLt C---": hardware faults, C clock (crystal or PLL), E EEPROM, n
 * metering IC, c card interface; '-' none */
void display_faults(char out[METER_TEXT_LEN], uint8_t faults);
/* "Ev 030401": the newest three event codes in hex */
void display_events(char out[METER_TEXT_LEN], const uint8_t *events);
/* "n123456782": the meter number, 9 digits (8 and the check digit) as
 * the office prints it; with the n it fills the 10 cells exactly */
void display_meter_number(char out[METER_TEXT_LEN], uint32_t meter_number);
/* "UEr 0.1.0": the firmware version; characters a cell cannot show become
 * '-', and what does not fit the 10 cells is cut */
void display_version(char out[METER_TEXT_LEN], const char *version);
void display_copy(char out[METER_TEXT_LEN], const char *s);
/* 1 if text (of length len) ends in "kWh", the annunciator's suffix */
int display_is_kwh(const char *text, unsigned len);

#endif
