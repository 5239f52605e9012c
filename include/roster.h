/*
 * roster.h: the umbrella header. Include this one; the headers under
 * roster/ are its areas.
 */
#ifndef ROSTER_H
#define ROSTER_H

#include "roster/common.h"
#include "roster/error.h"
#include "roster/event.h"
#include "roster/directory.h"
#include "roster/transaction.h"
#include "roster/actor.h"
#include "roster/page.h"
#include "roster/account.h"
#include "roster/user.h"
#include "roster/password.h"
#include "roster/catalog.h"
#include "roster/licence.h"
#include "roster/station.h"
#include "roster/product.h"
#include "roster/billing.h"
#include "roster/preview.h"
#include "roster/search.h"
#include "roster/bulk.h"
#include "roster/sys/storage.h"

#endif
