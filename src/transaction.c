/* transaction.c: the explicit transactions of roster_transaction_begin. */
#include "txn.h"

int roster_transaction_begin(roster_directory *dir)
{
	int rc = rs_enter(dir);

	if (rc)
		return rc;
	if (dir->txn_open)
		return rs_fail(dir, ROSTER_EMISUSE, NULL, "txn.open", NULL);
	rs_txn_begin(dir);
	return ROSTER_OK;
}

int roster_transaction_commit(roster_directory *dir)
{
	int rc = rs_enter(dir);

	if (rc)
		return rc;
	if (!dir->txn_explicit)
		return rs_fail(dir, ROSTER_EMISUSE, NULL, "txn.none", NULL);
	return rs_txn_commit(dir);
}

int roster_transaction_rollback(roster_directory *dir)
{
	int rc = rs_enter(dir);

	if (rc)
		return rc;
	if (!dir->txn_explicit)
		return rs_fail(dir, ROSTER_EMISUSE, NULL, "txn.none", NULL);
	rs_txn_rollback(dir);
	return ROSTER_OK;
}

int roster_transaction_active(const roster_directory *dir)
{
	return dir && dir->txn_explicit;
}
