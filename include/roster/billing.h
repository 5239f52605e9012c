/*
 * billing.h: what an account is invoiced for.
 *
 * A summary counts the account's billable users (do-not-bill users are
 * left out, and counted apart) by licence, by station pack, by product
 * licence held and by paid option (the API communicator). It has one line
 * per licence, pack and product of the directory's catalog, in catalog
 * order, zeros included, so that invoices line up from month to month;
 * then one line per paid option.
 */
#ifndef ROSTER_BILLING_H
#define ROSTER_BILLING_H

#include "actor.h"
#include "catalog.h"
#include "directory.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The kind of a billing line for a paid option (beside roster_item_kind). */
#define ROSTER_BILLING_OPTION 64

typedef struct roster_billing roster_billing;

/**
 * The summary of an account, as its partner, its admins or the system see
 * it. Free it with roster_billing_free.
 */
ROSTER_API int roster_billing_summary(roster_billing **out,
				      roster_directory *dir,
				      const roster_actor *actor,
				      roster_id account);
ROSTER_API void roster_billing_free(roster_billing *billing);
/** Billable users of the account. */
ROSTER_API size_t roster_billing_users(const roster_billing *billing);
/** Users left out as do-not-bill. */
ROSTER_API size_t roster_billing_excluded(const roster_billing *billing);
/** Number of lines. */
ROSTER_API size_t roster_billing_count(const roster_billing *billing);
/** Kind of line i: ROSTER_ITEM_LICENCE, _PACK, _PRODUCT or
 * ROSTER_BILLING_OPTION; 0 past the end. */
ROSTER_API int roster_billing_kind(const roster_billing *billing, size_t i);
/** Its item: a catalog identifier, or the option's field name
 * ("api_communicator"); NULL past the end. */
ROSTER_API const char *roster_billing_item(const roster_billing *billing,
					   size_t i);
/** The billable users it counts. */
ROSTER_API size_t roster_billing_quantity(const roster_billing *billing,
					  size_t i);

#ifdef __cplusplus
}
#endif

#endif
