/* att7022e.h - ATT7022E / HT7038 three-phase metering IC over SPI.
 *
 * Register-level driver (docs/metering-ic.md): 24-bit registers, a command
 * byte (bit 7 = write, bits 6..0 = address) then three data bytes MSB
 * first, SPI mode 1.  The meter reads the per-phase active energy registers
 * (accumulating, in CF pulses: 1 LSB = 1/meter_constant kWh), the power
 * direction flags, the voltage-loss flags and the total active power, and
 * turns them into a meter_sample.
 */
#ifndef ATT7022E_H
#define ATT7022E_H

#include <stdint.h>

#include "meter_io.h"

/* Measurement registers (read, command bit 7 = 0). */
#define ATT_R_DEVICE_ID 0x00 /* 0x7122A0 */
#define ATT_R_PT 0x04        /* total active power, 24-bit two's complement */
#define ATT_R_UA_RMS 0x0D
#define ATT_R_EPA 0x1E       /* active energy L1..L3, total */
#define ATT_R_EPB 0x1F
#define ATT_R_EPC 0x20
#define ATT_R_EPT 0x21
#define ATT_R_SFLAG 0x2C     /* bits 0..2: voltage lost on A, B, C */
#define ATT_R_PFLAG 0x3D     /* bits 0..2: active power of A, B, C negative */
#define ATT_R_CHKSUM 0x3E    /* checksum of the calibration registers */
/* Calibration registers (written with command bit 7 = 1). */
#define ATT_W_EMUCFG 0x03
#define ATT_W_HFCONST 0x1E
/* Special commands. */
#define ATT_C_READ_SELECT 0xC6  /* 0x00005A: reads return calibration data */
#define ATT_C_WRITE_ENABLE 0xC9 /* 0x00005A: calibration writes enabled */
#define ATT_C_SOFT_RESET 0xD3

#define ATT_DEVICE_ID 0x7122A0u

typedef struct {
    void *ctx;
    void (*select)(void *ctx, int on);       /* chip select, active low on the pin */
    /* One byte each way: the byte read, or -1 if the SPI peripheral did
     * not finish within its time bound (the board bounds every wait). */
    int (*xfer)(void *ctx, uint8_t out);
    void (*delay_us)(void *ctx, unsigned us);
} att7022e_spi;

typedef struct {
    att7022e_spi spi;
    uint32_t hfconst;
    uint32_t last[3];     /* energy registers at the last sample */
    uint32_t power_q16;   /* W per LSB of Pt, 16.16 fixed point */
    uint16_t meter_constant;
    uint8_t primed;
    uint8_t ready;        /* the chip answered with its ID and took HFConst */
    uint8_t timeout;      /* an xfer timed out since the last check */
} att7022e;

/* Check the device, set HFConst for meter_constant (from the calibration:
 * HFConst = 2.592e10 * G * G * Vu * Vi / (EC * Un * Ib), computed at the
 * factory and passed in) and compute the power scale.  0 on success, -1 if
 * the chip does not answer with its ID. */
int att7022e_init(att7022e *a, const att7022e_spi *spi, uint32_t hfconst,
                  uint16_t meter_constant);
uint32_t att7022e_read(att7022e *a, uint8_t reg);
void att7022e_write(att7022e *a, uint8_t reg, uint32_t value);
/* Energy since the previous sample (24-bit wrap handled), power, flags.
 * s->ms and s->cover_open stay the caller's.  Every sample first reads the
 * device ID: a chip that does not answer with it (dead, unplugged, an SPI
 * transfer that timed out) gives s->fault = METER_FAULT_METERING and no
 * energy, and the next sample sets it up again (att7022e_init). */
void att7022e_sample(att7022e *a, meter_sample *s);

#endif
