/*
 * transaction.h: grouping several changes into one.
 *
 * Every change is all or nothing on its own. To make several changes as
 * one, open a transaction on the directory: the calls that follow belong
 * to it, and roster_transaction_commit() makes them all happen, or
 * roster_transaction_rollback() none of them.
 *
 * As with SQL statements, a call that fails inside a transaction changes
 * nothing and leaves the transaction open with the changes of the earlier
 * calls in place; the caller chooses to go on, commit what succeeded, or
 * roll back. Calls on the same directory see the transaction's own
 * uncommitted changes; events are held back until commit and are dropped
 * by a rollback; a PBX reload is raised once per PBX for the whole
 * transaction. Transactions do not nest. Freeing a directory with an open
 * transaction rolls it back. The password policy cannot change while a
 * transaction is open; the message language is a setting of the handle,
 * not data, and is not rolled back.
 */
#ifndef ROSTER_TRANSACTION_H
#define ROSTER_TRANSACTION_H

#include "directory.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Open a transaction. ROSTER_EMISUSE when one is already open. */
ROSTER_API int roster_transaction_begin(roster_directory *dir);

/**
 * Commit the open transaction and deliver its events. When the store
 * refuses the commit (ROSTER_ECONFLICT, ROSTER_ESTORAGE, ROSTER_ENOMEM),
 * the whole transaction is rolled back and closed, and nothing of it was
 * written. ROSTER_EMISUSE when none is open.
 */
ROSTER_API int roster_transaction_commit(roster_directory *dir);

/**
 * Undo every change of the open transaction and drop its events; the
 * directory is exactly as it was at roster_transaction_begin().
 * ROSTER_EMISUSE when none is open.
 */
ROSTER_API int roster_transaction_rollback(roster_directory *dir);

/** 1 while a transaction is open on `dir`, else 0 (also for NULL). */
ROSTER_API int roster_transaction_active(const roster_directory *dir);

#ifdef __cplusplus
}
#endif

#endif
