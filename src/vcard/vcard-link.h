/* vcard-link.h - the virtual card's end of a vsmartcard vpcd connection.
 *
 * vpcd (the pcscd driver) listens; the card connects over TCP.  Every
 * message both ways is a 2-byte big-endian length then the payload.  A
 * 1-byte message from vpcd is a control code (VCARD_CTRL_*); a longer one
 * is a command APDU whose answer is the response APDU.
 */
#ifndef VCARD_LINK_H
#define VCARD_LINK_H

#include <stddef.h>
#include <stdint.h>

enum {
    VCARD_CTRL_OFF = 0x00,
    VCARD_CTRL_ON = 0x01,
    VCARD_CTRL_RESET = 0x02,
    VCARD_CTRL_ATR = 0x04 /* the only control message that wants a reply */
};

#define VCARD_MSG_MAX 0xFFFF

/* Connect to vpcd; the socket or -1 (errno set). */
int vcard_link_connect(const char *host, unsigned port);
/* Read one message; its length, or -1 when vpcd closed or failed. */
long vcard_link_recv(int fd, uint8_t *buf, size_t cap);
/* 0 on success, -1 on failure. */
int vcard_link_send(int fd, const uint8_t *buf, size_t len);

#endif
