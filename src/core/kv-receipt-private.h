/* kv-receipt-private.h - the receipt's PDF look, for the core's other
 * printed documents (the customer statement). */
#ifndef KV_RECEIPT_PRIVATE_H
#define KV_RECEIPT_PRIVATE_H

#include "kv-receipt.h"

G_BEGIN_DECLS

/* text (lines ending in \n) as a PDF page paper_mm wide and as long as the
 * text, in the receipt's monospace font. */
gboolean kv_receipt_text_pdf(const char *text, double paper_mm, const char *path,
                             GError **error);

G_END_DECLS

#endif
