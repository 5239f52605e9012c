/*
 * product.h: countable product licences (003), such as meetings.
 *
 * An account buys a number of licences of each product of the catalog;
 * they are assigned to its users one by one or a selection at once, and
 * unassigned the same way. Assigned is counted from the users, so
 * purchased, assigned and available never disagree:
 *
 * - assigning a selection is all or nothing: when fewer are available than
 *   the selection needs, nothing is assigned and the refusal gives both
 *   numbers ("product.none_available", ROSTER_EPOLICY); users who already
 *   hold the product need none and are left as they are;
 * - releasing purchased licences is refused for those assigned
 *   ("product.in_use").
 *
 * Buying and releasing are the partner's (and the system's); assigning is
 * also the account admins'. Every change writes the account record, so
 * two directories racing for the last licence conflict.
 *
 * A product must be one of the directory's catalog ("product.unknown",
 * ROSTER_EINVALID), except that one the catalog has dropped while the
 * account still holds licences of it may be released, unassigned and
 * counted (never bought or assigned again), so that it can be given
 * back and the account deleted.
 */
#ifndef ROSTER_PRODUCT_H
#define ROSTER_PRODUCT_H

#include "actor.h"
#include "directory.h"
#include "user.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most licences of one product an account may have purchased. */
#define ROSTER_PRODUCTS_MAX 1000000u

/** Add `count` purchased licences of `product` to an account. */
ROSTER_API int roster_product_purchase(roster_directory *dir,
				       const roster_actor *actor,
				       roster_id account, const char *product,
				       unsigned int count);

/** Remove `count` unassigned licences of `product` from an account. */
ROSTER_API int roster_product_release(roster_directory *dir,
				      const roster_actor *actor,
				      roster_id account, const char *product,
				      unsigned int count);

/**
 * Assign `product` to the `count` users (of one account), all or nothing,
 * in one transaction. Duplicates in `users` count once. *assigned, when
 * not NULL, gets the number of users that did not hold it before; each
 * of them is told by a ROSTER_EVENT_USER_UPDATED (with the user's e-mail
 * and admin flag, as for any update), in ascending id order. A user
 * of an account the actor may not manage refuses the call with
 * ROSTER_EDENIED before users of two accounts do (ROSTER_EINVALID
 * product.account).
 */
ROSTER_API int roster_product_assign(roster_directory *dir,
				     const roster_actor *actor,
				     const char *product, const roster_id *users,
				     size_t count, size_t *assigned);

/** Take `product` from the users (those without it are left alone), as
 * roster_product_assign() gives it: all or nothing, one event per user
 * changed. */
ROSTER_API int roster_product_unassign(roster_directory *dir,
				       const roster_actor *actor,
				       const char *product,
				       const roster_id *users, size_t count,
				       size_t *unassigned);

/**
 * Purchased and assigned licences of a product for an account (either
 * pointer may be NULL); available is their difference.
 */
ROSTER_API int roster_product_counts(roster_directory *dir,
				     const roster_actor *actor,
				     roster_id account, const char *product,
				     size_t *purchased, size_t *assigned);

/** Number of product licences a user snapshot holds. */
ROSTER_API size_t roster_user_product_count(const roster_user *user);
/** The i-th, in ascending order; NULL past the end. */
ROSTER_API const char *roster_user_product(const roster_user *user,
					   size_t i);

#ifdef __cplusplus
}
#endif

#endif
