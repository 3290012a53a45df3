/* kv-receipt.h - an 80 mm receipt as PDF (cairo + Pango, no display needed). */
#ifndef KV_RECEIPT_H
#define KV_RECEIPT_H

#include "kv-station.h"

G_BEGIN_DECLS

/* Receipt of a sale (any state; a reprint says REPRINT, a cancelled or
 * failed sale says so in large letters).  Writes path. */
gboolean kv_receipt_write_pdf(KvStation *st, gint64 sale_id, gboolean reprint,
                              const char *path, GError **error);
/* The receipt's text lines (what the PDF shows), for tests and text printers. */
GPtrArray *kv_receipt_lines(KvStation *st, gint64 sale_id, gboolean reprint, GError **error);

/* The receipt of a refund (kv-refunds.h), marked as a refund in large
 * letters: lines, and the PDF. */
GPtrArray *kv_refund_receipt_lines(KvStation *st, gint64 refund_id, GError **error);
gboolean kv_refund_receipt_write_pdf(KvStation *st, gint64 refund_id, const char *path,
                                     GError **error);

G_END_DECLS

#endif
