/* kv-batch-item.h - one row of a batch issue's result table. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define KV_TYPE_BATCH_ITEM (kv_batch_item_get_type())
G_DECLARE_FINAL_TYPE(KvBatchItem, kv_batch_item, KV, BATCH_ITEM, GObject)

KvBatchItem *kv_batch_item_new(guint line, guint32 meter, guint32 serial, const char *result,
                               gboolean ok);
/* Column n (0 line, 1 meter, 2 card, 3 result) as text. */
char *kv_batch_item_column(KvBatchItem *self, guint column);
gboolean kv_batch_item_get_ok(KvBatchItem *self);

G_END_DECLS
