/*
 * preview.h: dry runs. What the open transaction would do, told before it
 * is committed.
 *
 * Open a transaction, make the changes (a single one or many), ask for a
 * preview, then roll back (a dry run) or commit. The preview holds:
 *
 * - the events the commit would deliver, in order, PBX reloads included
 *   (one-time secrets left out: roster_event_withheld() says which);
 * - the inventory deltas: per site and station pack, and per account and
 *   product, the change of purchased and of in-use counts;
 * - the users whose billing changes: their licence, pack, product
 *   licences or paid options, or whether they are billed at all (created,
 *   deleted, do-not-bill).
 *
 * A preview is a copy, valid after the transaction ends.
 */
#ifndef ROSTER_PREVIEW_H
#define ROSTER_PREVIEW_H

#include "directory.h"
#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct roster_preview roster_preview;

/** What changes for a user's bill (roster_preview_billing_what). */
#define ROSTER_BILL_LICENCE 1u
#define ROSTER_BILL_PACK 2u
#define ROSTER_BILL_PRODUCTS 4u
#define ROSTER_BILL_OPTIONS 8u
/** Billed or not any more: created, deleted, do-not-bill changed. */
#define ROSTER_BILL_BILLABLE 16u

/**
 * The preview of the open transaction. ROSTER_EMISUSE "txn.none" when no
 * transaction is open.
 */
ROSTER_API int roster_transaction_preview(roster_preview **out,
					  roster_directory *dir);
ROSTER_API void roster_preview_free(roster_preview *preview);

/** Number of events the commit would deliver. */
ROSTER_API size_t roster_preview_event_count(const roster_preview *preview);
/** The i-th of them (read with the roster_event_* functions; its
 * sequence number is 0), NULL past the end. */
ROSTER_API const roster_event *roster_preview_event(
	const roster_preview *preview, size_t i);

/** Number of inventory deltas. */
ROSTER_API size_t roster_preview_delta_count(const roster_preview *preview);
/**
 * The i-th delta: kind ROSTER_ITEM_PACK (at a site) or ROSTER_ITEM_PRODUCT
 * (of an account), the record, the item, and the changes of purchased and
 * in use. ROSTER_EINVAL past the end (outputs may be NULL).
 */
ROSTER_API int roster_preview_delta(const roster_preview *preview, size_t i,
				    int *kind, roster_id *record,
				    const char **item, long long *purchased,
				    long long *in_use);

/** Number of users whose bill changes. */
ROSTER_API size_t roster_preview_billing_count(const roster_preview *preview);
/** The i-th such user, 0 past the end. */
ROSTER_API roster_id roster_preview_billing_user(const roster_preview *preview,
						 size_t i);
/** What changes for them: ROSTER_BILL_* bits. */
ROSTER_API unsigned int roster_preview_billing_what(
	const roster_preview *preview, size_t i);

#ifdef __cplusplus
}
#endif

#endif
