/* catalog.c: loading catalogs, their references, the texts shipped. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "util/text.h"

/* ------------------------------------------------------------------ */
/* The arena of a catalog                                              */

#define BLOCK_SIZE 16384

struct rs_block {
	rs_block *next;
	size_t used, size;
	max_align_t data[];
};

void *rs_arena_alloc(rs_block **arena, size_t size)
{
	const size_t align = alignof(max_align_t);
	rs_block *b = *arena;
	void *p;

	if (size > SIZE_MAX / 2)
		return NULL;
	size = size ? (size + align - 1) & ~(align - 1) : align;
	if (!b || b->size - b->used < size) {
		size_t cap = size > BLOCK_SIZE ? size : BLOCK_SIZE;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = *arena;
		b->used = 0;
		b->size = cap;
		*arena = b;
	}
	p = (char *)b->data + b->used;
	b->used += size;
	return p;
}

char *rs_arena_strdup(rs_block **arena, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = rs_arena_alloc(arena, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

void rs_arena_free(rs_block *arena)
{
	while (arena) {
		rs_block *next = arena->next;

		free(arena);
		arena = next;
	}
}

void rs_catalog_destroy(roster_catalog *cat)
{
	if (!cat)
		return;
	rs_arena_free(cat->arena);
	free(cat);
}

/* ------------------------------------------------------------------ */
/* Faults and errors                                                   */

void rs_faults_clear(rs_faults *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

const rs_fault_cat *rs_faults_first(const rs_faults *f, int which)
{
	int i = which == 0 ? 0 : 1;

	return f->have[i] ? &f->first[i] : NULL;
}

static const char *base_name(const char *name)
{
	const char *slash;

	if (!name || !name[0])
		return "catalog";
	slash = strrchr(name, '/');
	return slash && slash[1] ? slash + 1 : name;
}

/* The most bytes of a file's name a place shows, as an error's value
 * shows them (a control or format character, or a byte of invalid UTF-8,
 * as four: "\x09"): with its line, the longest detail's phrase still
 * fits the value. */
#define PLACE_NAME_MAX 40

/* The bytes of `s` a place keeps. */
static size_t place_name_len(const char *s, size_t len)
{
	size_t i = 0, shown = 0;

	while (i < len) {
		int escaped;
		size_t n = rs_utf8_shown(s + i, len - i, &escaped);

		shown += escaped ? 4 * n : n;
		if (shown > PLACE_NAME_MAX)
			break;
		i += n;
	}
	return i;
}

void rs_catalog_where(char *buf, size_t size, const char *name,
		      unsigned long line, const char *detail)
{
	const char *base = base_name(name);
	size_t len = strlen(base), n = place_name_len(base, len);
	const char *dots = n < len ? "..." : "";

	if (line)
		snprintf(buf, size, "%.*s%s:%lu: %s", (int)n, base, dots, line,
			 detail);
	else
		snprintf(buf, size, "%.*s%s: %s", (int)n, base, dots, detail);
}

int rs_catalog_fail(const rs_fault_cat *f, const char *name)
{
	char value[256];

	rs_catalog_where(value, sizeof(value), name, f->line, f->detail);
	return rs_error_tl(ROSTER_EPARSE, "catalog", f->rule, value);
}

static int nomem(void)
{
	return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

static int too_large(const char *name)
{
	char detail[96], value[192];

	snprintf(detail, sizeof(detail), "larger than %u bytes",
		 ROSTER_CATALOG_SIZE_MAX);
	rs_catalog_where(value, sizeof(value), name, 0, detail);
	return rs_error_tl(ROSTER_EPARSE, "catalog", "catalog.size", value);
}

int rs_catalog_load_collect(roster_catalog **out, const void *xml,
			    size_t len, const char *name, rs_faults *faults)
{
	const rs_fault_cat *f;
	void *doc;
	int rc;

	*out = NULL;
	if (len > ROSTER_CATALOG_SIZE_MAX)
		return too_large(name);
	rc = rs_catalog_parse(&doc, xml, len, name);
	if (rc)
		return rc;
	rc = rs_catalog_build(out, doc, faults);
	rs_catalog_doc_free(doc);
	if (rc)
		return nomem();
	/* names and values fail even the lint of a file */
	f = rs_faults_first(faults, 0);
	if (f)
		return rs_catalog_fail(f, name);
	return ROSTER_OK;
}

static int load(roster_catalog **out, const void *xml, size_t len,
		const char *name)
{
	rs_faults faults;
	const rs_fault_cat *f;
	int rc;

	memset(&faults, 0, sizeof(faults));
	rc = rs_catalog_load_collect(out, xml, len, name, &faults);
	/* a load reports the first fault in the file, of whatever kind
	 * (the lint of a file puts names and values first) */
	if (rc != ROSTER_ENOMEM && !*out && (f = rs_faults_first(&faults, -1)))
		rc = rs_catalog_fail(f, name);
	else if (rc == ROSTER_OK && !*out)
		rc = nomem();
	rs_faults_clear(&faults);
	return rc;
}

int roster_catalog_load_buffer(roster_catalog **out, const void *xml,
			       size_t len, const char *name)
{
	if (!out)
		return rs_error_tl(ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if (!xml)
		return rs_error_tl(ROSTER_EINVAL, "xml", "arg.null", NULL);
	return load(out, xml, len, name);
}

/*
 * Read a whole file of at most ROSTER_CATALOG_SIZE_MAX bytes into a fresh
 * buffer. Records the error (ESTORAGE, EPARSE when too large).
 */
int rs_catalog_read_file(const char *path, char **buf, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *b = NULL, value[256];
	int fd, err = 0;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	for (;;) {
		ssize_t r;

		if (n == cap || !b) {
			char *nb;

			if (b)
				cap *= 2;
			nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				close(fd);
				return nomem();
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > ROSTER_CATALOG_SIZE_MAX) {
			free(b);
			close(fd);
			return too_large(path);
		}
	}
	close(fd);
	if (err) {
		free(b);
		goto fail;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return ROSTER_OK;
fail:
	rs_catalog_where(value, sizeof(value), path, 0, strerror(err));
	return rs_error_tl(ROSTER_ESTORAGE, "catalog", "catalog.read", value);
}

int roster_catalog_load_file(roster_catalog **out, const char *path)
{
	char *buf;
	size_t len;
	int rc;

	if (!out)
		return rs_error_tl(ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if (!path)
		return rs_error_tl(ROSTER_EINVAL, "path", "arg.null", NULL);
	rc = rs_catalog_read_file(path, &buf, &len);
	if (rc)
		return rc;
	rc = load(out, buf, len, path);
	free(buf);
	return rc;
}

int roster_catalog_load_default(roster_catalog **out)
{
	if (!out)
		return rs_error_tl(ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	return load(out, rs_catalog_default_text, rs_catalog_default_text_len,
		    "catalog.xml");
}

/* ------------------------------------------------------------------ */
/* References                                                          */

void roster_catalog_free(roster_catalog *cat)
{
	if (cat && atomic_fetch_sub_explicit(&cat->refs, 1,
					     memory_order_acq_rel) == 1)
		rs_catalog_destroy(cat);
}

roster_catalog *roster_catalog_ref(roster_catalog *cat)
{
	if (cat)
		atomic_fetch_add_explicit(&cat->refs, 1, memory_order_relaxed);
	return cat;
}

const char *roster_catalog_schema(void)
{
	return rs_catalog_schema_text;
}

const char *roster_catalog_default_xml(void)
{
	return rs_catalog_default_text;
}
