/* kv-technician-page.h - the technician's screen: engineering cards (check,
 * parameter with the emergency allowance, clear-tamper, key-change, test,
 * clear-credit), a card's read report (the meter's last result, its events
 * by name, the credit a clear-credit card cleared, the allowance a
 * parameter card set, the anomaly banner), a meter swap and a meter's
 * provisioning block.  Supervisors and admins (the core's roles for them);
 * the key-change card is an admin's and needs the head office. */
#pragma once

#include <adwaita.h>

#include "kv-link-state.h"
#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_TECHNICIAN_PAGE (kv_technician_page_get_type())
G_DECLARE_FINAL_TYPE(KvTechnicianPage, kv_technician_page, KV, TECHNICIAN_PAGE, GtkWidget)

void kv_technician_page_set_session(KvTechnicianPage *self, KvSession *session,
                                    KvLinkState *link);
/* Write the provisioning block of the meter in the page's field to path
 * (what the file chooser's answer does). */
void kv_technician_page_provision_to(KvTechnicianPage *self, const char *path);

G_END_DECLS
