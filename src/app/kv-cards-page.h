/* kv-cards-page.h - issue, replace and batch-issue customer cards. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_CARDS_PAGE (kv_cards_page_get_type())
G_DECLARE_FINAL_TYPE(KvCardsPage, kv_cards_page, KV, CARDS_PAGE, GtkWidget)

void kv_cards_page_set_session(KvCardsPage *self, KvSession *session);
/* The CSV file of the next batch (a header line with a "meter" column). */
void kv_cards_page_set_batch_file(KvCardsPage *self, const char *path);

G_END_DECLS
