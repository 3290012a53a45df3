/* kv-core.h - the station core library: everything a front end needs. */
#ifndef KV_CORE_H
#define KV_CORE_H

#include "kv-anomalies.h"
#include "kv-arrears.h"
#include "kv-audit.h"
#include "kv-card-link.h"
#include "kv-cards.h"
#include "kv-categories.h"
#include "kv-core-error.h"
#include "kv-engineering.h"
#include "kv-events.h"
#include "kv-keyfile.h"
#include "kv-meter-keys.h"
#include "kv-money.h"
#include "kv-money-reports.h"
#include "kv-payments.h"
#include "kv-receipt.h"
#include "kv-reconcile.h"
#include "kv-registry.h"
#include "kv-reports.h"
#include "kv-revenue.h"
#include "kv-sales.h"
#include "kv-shifts.h"
#include "kv-station.h"
#include "kv-station-file.h"
#include "kv-tariff.h"
#include "kv-tariffs.h"
#include "kv-time.h"
#include "kv-users.h"

#endif
