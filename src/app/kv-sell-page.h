/* kv-sell-page.h - the home screen: read the card, price, sell, receipt. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_SELL_PAGE (kv_sell_page_get_type())
G_DECLARE_FINAL_TYPE(KvSellPage, kv_sell_page, KV, SELL_PAGE, GtkWidget)

void kv_sell_page_set_session(KvSellPage *self, KvSession *session, GSettings *settings);
/* Read the card if one is already in the reader. */
void kv_sell_page_refresh_card(KvSellPage *self);
/* Save the receipt of the sale just made as a PDF (what would be printed). */
void kv_sell_page_save_receipt_to(KvSellPage *self, const char *path);
void kv_sell_page_focus_amount(KvSellPage *self);

G_END_DECLS
