/* kv-events.h - what a meter's readback says, by name: its event codes
 * and status bits (docs/display-codes.md, "Event codes"; the card
 * contract's KV_RB_* in crypto/kv_card.h).  Layer: base. */
#ifndef KV_EVENTS_H
#define KV_EVENTS_H

#include <glib.h>

G_BEGIN_DECLS

/* The event's name in the station's language: "cover opened", "card
 * refused (error 13)", "event 0x3f" for a code this release does not know. */
char *kv_event_describe(guint8 code);
/* An event that says someone opened, bypassed or rewrote the meter: cover
 * opened, reverse energy, phase loss, relay fault, memory tampered. */
gboolean kv_event_is_tamper(guint8 code);
/* The events of a readback (newest first, 0: none) joined with ", ". */
char *kv_events_text(const guint8 *events, gsize n);
/* The status bits joined with ", " ("relay closed, tamper"). */
char *kv_status_text(guint8 status);

G_END_DECLS

#endif
