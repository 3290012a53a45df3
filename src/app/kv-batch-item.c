/* kv-batch-item.c - one row of a batch issue's result table. */
#include "config.h"

#include <glib/gi18n.h>

#include "kv-batch-item.h"

struct _KvBatchItem {
    GObject parent_instance;
    guint line;
    guint32 meter;
    guint32 serial;
    char *result;
    gboolean ok;
};

G_DEFINE_FINAL_TYPE(KvBatchItem, kv_batch_item, G_TYPE_OBJECT)

static void kv_batch_item_finalize(GObject *object)
{
    g_free(KV_BATCH_ITEM(object)->result);
    G_OBJECT_CLASS(kv_batch_item_parent_class)->finalize(object);
}

static void kv_batch_item_class_init(KvBatchItemClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = kv_batch_item_finalize;
}

static void kv_batch_item_init(KvBatchItem *self)
{
}

KvBatchItem *kv_batch_item_new(guint line, guint32 meter, guint32 serial, const char *result,
                               gboolean ok)
{
    KvBatchItem *self = g_object_new(KV_TYPE_BATCH_ITEM, NULL);

    self->line = line;
    self->meter = meter;
    self->serial = serial;
    self->result = g_strdup(result);
    self->ok = ok;
    return self;
}

char *kv_batch_item_column(KvBatchItem *self, guint column)
{
    g_return_val_if_fail(KV_IS_BATCH_ITEM(self), NULL);

    switch (column) {
    case 0:
        return g_strdup_printf("%u", self->line);
    case 1:
        return self->meter != 0 ? g_strdup_printf("%09u", self->meter) : g_strdup("—");
    case 2:
        return self->serial != 0 ? g_strdup_printf("%u", self->serial) : g_strdup("—");
    default:
        return g_strdup(self->result);
    }
}

gboolean kv_batch_item_get_ok(KvBatchItem *self)
{
    g_return_val_if_fail(KV_IS_BATCH_ITEM(self), FALSE);
    return self->ok;
}
