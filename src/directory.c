/* directory.c: opening and closing a directory, its error and clock. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "search_index.h"
#include "storage/persist.h"
#include "txn.h"
#include "users.h"
#include "util/random.h"

int roster_version(void)
{
	return ROSTER_VERSION_NUMBER;
}

const char *roster_version_string(void)
{
	return ROSTER_VERSION_STRING;
}

int roster_language_parse(roster_language *out, const char *tag)
{
	static const char *const tags[ROSTER_LANG_COUNT] = { "en", "fr", "cs" };
	int i;

	if (!out || !tag)
		return rs_error_tl(ROSTER_EINVAL, out ? "tag" : "out", "arg.null",
				   NULL);
	for (i = 0; i < ROSTER_LANG_COUNT; i++) {
		if ((tag[0] | 0x20) == tags[i][0] &&
		    (tag[1] | 0x20) == tags[i][1] &&
		    (tag[2] == '\0' || tag[2] == '-' || tag[2] == '_')) {
			*out = (roster_language)i;
			return ROSTER_OK;
		}
	}
	return rs_error_tl(ROSTER_EINVAL, "tag", "arg.range", tag);
}

/* The size of the options of a version: a caller built against older
 * headers has a shorter struct, which must not be written past. */
static size_t options_size(unsigned int version)
{
	return version >= 3   ? sizeof(roster_directory_options)
	       : version == 2 ? offsetof(roster_directory_options, flags)
			      : offsetof(roster_directory_options, storage);
}

int roster_directory_options_init(roster_directory_options *opts,
				  unsigned int version)
{
	char v[24];

	if (!opts)
		return rs_error_tl(ROSTER_EINVAL, "opts", "arg.null", NULL);
	if (version < 1 || version > ROSTER_DIRECTORY_OPTIONS_VERSION) {
		snprintf(v, sizeof(v), "%u", version);
		return rs_error_tl(ROSTER_EVERSION, "version", "arg.version", v);
	}
	memset(opts, 0, options_size(version));
	opts->version = version;
	opts->language = ROSTER_LANG_EN;
	return ROSTER_OK;
}

int roster_directory_open(roster_directory **out,
			  const roster_directory_options *opts)
{
	roster_directory_options defaults;
	roster_directory *dir;
	rs_alloc al;
	char v[24];

	if (!out)
		return rs_error_tl(ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if (!opts) {
		roster_directory_options_init(&defaults,
					      ROSTER_DIRECTORY_OPTIONS_VERSION);
		opts = &defaults;
	}
	if (opts->version < 1 || opts->version > ROSTER_DIRECTORY_OPTIONS_VERSION) {
		snprintf(v, sizeof(v), "%u", opts->version);
		return rs_error_tl(ROSTER_EVERSION, "version", "arg.version", v);
	}
	if ((int)opts->language < 0 || opts->language >= ROSTER_LANG_COUNT) {
		snprintf(v, sizeof(v), "%d", (int)opts->language);
		return rs_error_tl(ROSTER_EINVAL, "language", "arg.range", v);
	}
	if ((opts->malloc_fn || opts->realloc_fn || opts->free_fn) &&
	    !(opts->malloc_fn && opts->realloc_fn && opts->free_fn))
		return rs_error_tl(ROSTER_EINVAL, "malloc_fn", "arg.null", NULL);
	if (opts->version >= 3 && (opts->flags & ~ROSTER_DIRECTORY_NO_OUTBOX)) {
		snprintf(v, sizeof(v), "%#x", opts->flags);
		return rs_error_tl(ROSTER_EINVAL, "flags", "arg.range", v);
	}
	if (opts->version >= 3 && opts->reserved) {
		snprintf(v, sizeof(v), "%u", opts->reserved);
		return rs_error_tl(ROSTER_EINVAL, "reserved", "arg.range", v);
	}
	if (opts->version >= 2 && opts->storage) {
		const char *missing = rs_storage_check(opts->storage);

		if (missing && strcmp(missing, "version") == 0) {
			snprintf(v, sizeof(v), "%u", opts->storage->version);
			return rs_error_tl(ROSTER_EVERSION, "storage",
					   "arg.version", v);
		}
		if (missing)
			return rs_error_tl(ROSTER_EINVAL, missing,
					   "storage.method", NULL);
		/* the built-in stores' callbacks need their handle; a host's
		 * store may be NULL (its callbacks' own business) */
		if (!opts->store &&
		    (opts->storage == roster_memstore_methods() ||
		     opts->storage == roster_filestore_methods()))
			return rs_error_tl(ROSTER_EINVAL, "store", "arg.null",
					   NULL);
	}
	rs_alloc_setup(&al, opts);
	dir = rs_calloc(&al, 1, sizeof(*dir));
	if (!dir)
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	dir->al = al;
	dir->emails.ptrs = 1; /* rs_put keeps each user's latest version */
	dir->txn = rs_calloc(&al, 1, sizeof(*dir->txn));
	if (!dir->txn || rs_txn_init(dir)) {
		rs_free(&al, dir->txn);
		rs_free(&al, dir);
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	}
	if (rs_random(&dir->seed, sizeof(dir->seed)) != 0) {
		rs_txn_free(dir);
		rs_free(&al, dir->txn);
		rs_free(&al, dir);
		return rs_error_tl(ROSTER_ERROR, NULL, "password.random", NULL);
	}
	/* NULL is fine: tokens then draw from the OS each time */
	dir->rng = rs_rng_new();
	dir->lang = opts->language;
	dir->event_cb = opts->event_cb;
	dir->event_data = opts->event_data;
	dir->clock_fn = opts->clock_fn;
	dir->clock_data = opts->clock_data;
	dir->next_id = 1;
	roster_password_policy_init(&dir->policy, ROSTER_PASSWORD_POLICY_VERSION);
	if (opts->version >= 2 && opts->storage) {
		int rc;
		dir->storage = opts->storage;
		dir->store = opts->store;
		dir->outbox = !(opts->version >= 3 &&
				(opts->flags & ROSTER_DIRECTORY_NO_OUTBOX));
		if ((rc = rs_persist_load(dir))) {
			/* the detail goes to the thread with the directory;
			 * the store stays the caller's */
			roster_error saved = dir->err;
			dir->storage = NULL;
			roster_directory_free(dir);
			return rs_error_tl_limit(rc, saved.field, saved.rule,
						 saved.value, saved.limit);
		}
	} else if (rs_sindex_build(dir, NULL, 0)) {
		dir->storage = NULL;
		roster_directory_free(dir);
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	}
	*out = dir;
	return ROSTER_OK;
}

void rs_rec_free(roster_directory *dir, rs_rec *rec, int deep)
{
	rs_rec_release(&dir->al, rec, deep);
}

void rs_rec_release(const rs_alloc *al, rs_rec *rec, int deep)
{
	rs_unit *n = (rs_unit *)rec;
	size_t i;

	if (!rec)
		return;
	if (rec->kind == ROSTER_KIND_USER) {
		rs_user_release(al, (rs_user *)rec);
		return;
	}
	rs_free(al, n->name);
	rs_free(al, n->name_key);
	rs_free(al, n->edition);
	for (i = 0; i < n->nlicences; i++)
		rs_free(al, n->licences[i]);
	rs_free(al, n->licences);
	for (i = 0; i < n->nstock; i++)
		rs_free(al, n->stock[i].item);
	rs_free(al, n->stock);
	for (i = 0; i < n->nbought; i++)
		rs_free(al, n->bought[i].item);
	rs_free(al, n->bought);
	if (deep)
		rs_members_free(al, RS_MEMBERS(rec));
	rs_free(al, rec);
}

void rs_members_free(const rs_alloc *al, rs_members *m)
{
	if (!m)
		return;
	rs_idvec_free(al, &m->accounts);
	rs_idvec_free(al, &m->users);
	rs_idvec_free(al, &m->sites);
	rs_idvec_free(al, &m->pbxes);
	rs_idvec_free(al, &m->groups);
	rs_free(al, m);
}

void rs_model_free(roster_directory *dir)
{
	uint64_t pos = 0;
	rs_rec *r;

	while ((r = rs_idmap_next(&dir->records, &pos)))
		rs_rec_free(dir, r, 1);
	rs_idmap_free(&dir->al, &dir->records);
	rs_keyset_free(&dir->al, &dir->emails);
	rs_keyset_free(&dir->al, &dir->lines);
	rs_keyset_free(&dir->al, &dir->extensions);
	rs_idvec_free(&dir->al, &dir->partners);
	rs_sindex_free(&dir->al, dir->sindex);
	dir->sindex = NULL;
}

int roster_directory_refresh(roster_directory *dir)
{
	int rc = rs_enter(dir);

	if (rc)
		return rc;
	if (dir->txn_open)
		return rs_fail(dir, ROSTER_EMISUSE, NULL, "txn.open", NULL);
	return dir->storage ? rs_persist_refresh(dir) : ROSTER_OK;
}

void roster_directory_free(roster_directory *dir)
{
	rs_alloc al;

	if (!dir)
		return;
	if (dir->in_callback) {
		/* the commit that called back is still running on it */
		rs_error_tl(ROSTER_EMISUSE, NULL, "reentrant", NULL);
		return;
	}
	al = dir->al;
	/* an open transaction holds replaced versions in its log */
	if (dir->txn_explicit)
		rs_txn_rollback(dir);
	rs_txn_free(dir);
	rs_model_free(dir);
	roster_catalog_free(dir->catalog);
	rs_free(&al, dir->txn);
	rs_rng_free(dir->rng);
	if (dir->storage && dir->storage->destroy)
		dir->storage->destroy(dir->store);
	rs_free(&al, dir);
}

const roster_error *roster_directory_error(const roster_directory *dir)
{
	return dir ? &dir->err : roster_error_last();
}

int roster_directory_set_language(roster_directory *dir, roster_language lang)
{
	char v[24];
	int rc = rs_enter(dir);

	if (rc)
		return rc;
	if ((int)lang < 0 || lang >= ROSTER_LANG_COUNT) {
		snprintf(v, sizeof(v), "%d", (int)lang);
		return rs_fail(dir, ROSTER_EINVAL, "lang", "arg.range", v);
	}
	dir->lang = lang;
	return ROSTER_OK;
}

int rs_enter(roster_directory *dir)
{
	if (!dir)
		return rs_error_tl(ROSTER_EINVAL, "dir", "arg.null", NULL);
	if (dir->in_callback)
		return rs_fail(dir, ROSTER_EMISUSE, NULL, "reentrant", NULL);
	dir->acting_user = 0;
	return ROSTER_OK;
}

int rs_fail_limit(roster_directory *dir, int code, const char *field,
		  const char *rule, const char *value, long long limit)
{
	rs_fault f = { code, field, rule, value, limit };

	return rs_error_set(&dir->err, dir->lang, &f);
}

int rs_fail(roster_directory *dir, int code, const char *field,
	    const char *rule, const char *value)
{
	return rs_fail_limit(dir, code, field, rule, value, 0);
}

int rs_fail_id(roster_directory *dir, int code, const char *field,
	       const char *rule, roster_id id)
{
	char v[24];

	snprintf(v, sizeof(v), "%llu", (unsigned long long)id);
	return rs_fail(dir, code, field, rule, v);
}

int rs_nomem(roster_directory *dir)
{
	return rs_fail(dir, ROSTER_ENOMEM, NULL, "nomem", NULL);
}

int64_t rs_now(roster_directory *dir)
{
	int64_t now;
	int was;

	if (!dir->clock_fn)
		return (int64_t)time(NULL);
	was = rs_hook_begin(dir);
	now = dir->clock_fn(dir->clock_data);
	rs_hook_end(dir, was);
	return now;
}

int rs_new_id(roster_directory *dir, roster_id *out)
{
	if (dir->next_id == 0 || dir->next_id == UINT64_MAX)
		return rs_fail(dir, ROSTER_ERROR, NULL, "id.exhausted", NULL);
	*out = dir->next_id++;
	return ROSTER_OK;
}

int64_t rs_deadline(roster_directory *dir, int64_t ttl)
{
	int64_t now = rs_now(dir);

	return now > INT64_MAX - ttl ? INT64_MAX : now + ttl;
}

rs_rec *rs_get(const roster_directory *dir, roster_id id)
{
	return rs_idmap_get(&dir->records, id);
}

rs_rec *rs_get_kind(const roster_directory *dir, roster_id id, int kind)
{
	rs_rec *r = id ? rs_get(dir, id) : NULL;

	return r && r->kind == kind ? r : NULL;
}
