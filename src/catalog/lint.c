/*
 * lint.c: what loading cannot refuse but is surely a mistake.
 *
 * A licence is held in an edition when the edition offers it (its tier,
 * or it has none) and lets its accounts order every service it needs.
 *
 *   unreachable      a licence held in no edition
 *   dead change      a change whose target's needs no edition holding its
 *                    source lets its accounts order
 *   ambiguous packs  two packs neither of whose clients include the other
 *   unused           a tier no licence has, a family without licences, a
 *                    client no pack includes
 *
 * The lint of a file adds the duplicates and unknown references a load
 * refuses, all of them, each with its line.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

typedef struct finding {
	int code;
	const char *what;
	int kind, kind2;
	char a[ROSTER_ITEM_ID_MAX + 1], b[ROSTER_ITEM_ID_MAX + 1];
	unsigned long line, line2;
	size_t seq;
	char *msg[ROSTER_LANG_COUNT];
} finding;

struct roster_lint {
	finding *v;
	size_t n, cap;
	int nomem;
};

static void add(roster_lint *l, int code, const char *what, int kind,
		const char *a, int kind2, const char *b, unsigned long line,
		unsigned long line2)
{
	finding *f;

	if (l->n >= RS_LINT_MAX || l->nomem)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		finding *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->nomem = 1;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	f = &l->v[l->n];
	memset(f, 0, sizeof(*f));
	f->code = code;
	f->what = what;
	f->kind = kind;
	f->kind2 = kind2;
	snprintf(f->a, sizeof(f->a), "%s", a ? a : "");
	snprintf(f->b, sizeof(f->b), "%s", b ? b : "");
	f->line = line;
	f->line2 = line2;
	f->seq = l->n;
	l->n++;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */

static const char *kind_label(int kind, roster_language lang)
{
	const char *name = rs_kind_name(kind), *label;

	if (!name)
		return "";
	label = rs_i18n_label(name, lang);
	return label ? label : name;
}

/* Expand {kind}, {kind2}, {a}, {b} and {line2} of a lint template. */
static char *render(const finding *f, roster_language lang)
{
	const char *tpl = rs_i18n_lint(f->what, lang);
	char buf[512], num[24];
	size_t w = 0;

	if (!tpl)
		tpl = f->what;
	while (*tpl && w + 1 < sizeof(buf)) {
		const char *sub = NULL;
		size_t skip = 0, n;

		if (strncmp(tpl, "{kind2}", 7) == 0) {
			sub = kind_label(f->kind2, lang);
			skip = 7;
		} else if (strncmp(tpl, "{kind}", 6) == 0) {
			sub = kind_label(f->kind, lang);
			skip = 6;
		} else if (strncmp(tpl, "{a}", 3) == 0) {
			sub = f->a;
			skip = 3;
		} else if (strncmp(tpl, "{b}", 3) == 0) {
			sub = f->b;
			skip = 3;
		} else if (strncmp(tpl, "{line2}", 7) == 0) {
			snprintf(num, sizeof(num), "%lu", f->line2);
			sub = num;
			skip = 7;
		}
		if (!sub) {
			buf[w++] = *tpl++;
			continue;
		}
		n = strlen(sub);
		if (n > sizeof(buf) - 1 - w)
			n = sizeof(buf) - 1 - w;
		memcpy(buf + w, sub, n);
		w += n;
		tpl += skip;
	}
	buf[w] = '\0';
	return strdup(buf);
}

static int cmp_finding(const void *x, const void *y)
{
	const finding *a = x, *b = y;

	if (a->line != b->line)
		return (a->line > b->line) - (a->line < b->line);
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Sort by line and render the messages; ROSTER_OK or ROSTER_ENOMEM. */
static int finish(roster_lint *l)
{
	size_t i;
	int lang;

	if (l->nomem)
		return ROSTER_ENOMEM;
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_finding);
	for (i = 0; i < l->n; i++)
		for (lang = 0; lang < ROSTER_LANG_COUNT; lang++) {
			l->v[i].msg[lang] = render(&l->v[i],
						   (roster_language)lang);
			if (!l->v[i].msg[lang])
				return ROSTER_ENOMEM;
		}
	return ROSTER_OK;
}

void roster_lint_free(roster_lint *lint)
{
	size_t i;
	int lang;

	if (!lint)
		return;
	for (i = 0; i < lint->n; i++)
		for (lang = 0; lang < ROSTER_LANG_COUNT; lang++)
			free(lint->v[i].msg[lang]);
	free(lint->v);
	free(lint);
}

/* ------------------------------------------------------------------ */
/* The checks                                                          */

static const rs_item *items(const roster_catalog *cat, int kind)
{
	return cat->kind[kind].items;
}

/* 1 when the licence is held in the edition. */
static int held(const roster_catalog *cat, uint32_t e, uint32_t l)
{
	return rs_offers(cat, e, l) && rs_can_meet(cat, e, l);
}

static void unreachable(roster_lint *out, const roster_catalog *cat)
{
	const rs_item *lic = items(cat, ROSTER_ITEM_LICENCE);
	uint32_t nl = cat->kind[ROSTER_ITEM_LICENCE].n;
	uint32_t ne = cat->kind[ROSTER_ITEM_EDITION].n, l, e;

	for (l = 0; l < nl; l++) {
		int offered = 0, ok = 0;

		for (e = 0; e < ne && !ok; e++) {
			if (!rs_offers(cat, e, l))
				continue;
			offered = 1;
			ok = rs_can_meet(cat, e, l);
		}
		if (!ok)
			add(out, ROSTER_LINT_UNREACHABLE,
			    offered ? "unreachable.needs" : "unreachable.offer",
			    ROSTER_ITEM_LICENCE, lic[l].id, 0, NULL,
			    lic[l].line, 0);
	}
}

static void dead_changes(roster_lint *out, const roster_catalog *cat)
{
	const rs_item *lic = items(cat, ROSTER_ITEM_LICENCE);
	const rs_item *ed = items(cat, ROSTER_ITEM_EDITION);
	uint32_t ne = cat->kind[ROSTER_ITEM_EDITION].n, i, e;

	for (i = 0; i < cat->nchanges; i++) {
		const rs_change *c = &cat->changes[i];
		int from_held = 0, ok = 0;

		for (e = 0; e < ne && !ok; e++) {
			if (!held(cat, e, c->from))
				continue;
			from_held = 1;
			ok = rs_set_within(lic[c->to].set[0], ed[e].set[1]);
		}
		/* a change from a licence nobody holds is told as such */
		if (from_held && !ok)
			add(out, ROSTER_LINT_DEAD_CHANGE, "dead_change",
			    ROSTER_ITEM_LICENCE, lic[c->from].id,
			    ROSTER_ITEM_LICENCE, lic[c->to].id, c->line, 0);
	}
}

static void ambiguous_packs(roster_lint *out, const roster_catalog *cat)
{
	const rs_item *p = items(cat, ROSTER_ITEM_PACK);
	uint32_t n = cat->kind[ROSTER_ITEM_PACK].n, i, j;

	for (i = 0; i < n && out->n < RS_LINT_MAX; i++)
		for (j = i + 1; j < n && out->n < RS_LINT_MAX; j++)
			if (!rs_set_within(p[i].set[0], p[j].set[0]) &&
			    !rs_set_within(p[j].set[0], p[i].set[0]))
				add(out, ROSTER_LINT_AMBIGUOUS_PACKS,
				    "ambiguous_packs", ROSTER_ITEM_PACK, p[i].id,
				    ROSTER_ITEM_PACK, p[j].id, p[j].line,
				    p[i].line);
}

static void unused_kind(roster_lint *out, const roster_catalog *cat,
			int kind, const unsigned char *used, const char *what)
{
	const rs_item *it = items(cat, kind);
	uint32_t i;

	for (i = 0; i < cat->kind[kind].n; i++)
		if (!used[i])
			add(out, ROSTER_LINT_UNUSED, what, kind, it[i].id, 0,
			    NULL, it[i].line, 0);
}

static void unused(roster_lint *out, const roster_catalog *cat)
{
	const rs_item *lic = items(cat, ROSTER_ITEM_LICENCE);
	const rs_item *packs = items(cat, ROSTER_ITEM_PACK);
	uint32_t nt = cat->kind[ROSTER_ITEM_TIER].n;
	uint32_t nf = cat->kind[ROSTER_ITEM_FAMILY].n;
	uint32_t nc = cat->kind[ROSTER_ITEM_CLIENT].n, i, j;
	unsigned char *tiers = calloc(nt + 1, 1), *families = calloc(nf + 1, 1);
	unsigned char *clients = calloc(nc + 1, 1);

	if (!tiers || !families || !clients) {
		out->nomem = 1;
		goto done;
	}
	for (i = 0; i < cat->kind[ROSTER_ITEM_LICENCE].n; i++) {
		if (lic[i].tier != RS_NONE)
			tiers[lic[i].tier] = 1;
		if (lic[i].family != RS_NONE)
			families[lic[i].family] = 1;
	}
	for (i = 0; i < cat->kind[ROSTER_ITEM_PACK].n; i++)
		for (j = 0; j < packs[i].set[0].n; j++)
			clients[packs[i].set[0].v[j]] = 1;
	unused_kind(out, cat, ROSTER_ITEM_TIER, tiers, "unused.tier");
	unused_kind(out, cat, ROSTER_ITEM_FAMILY, families, "unused.family");
	unused_kind(out, cat, ROSTER_ITEM_CLIENT, clients, "unused.client");
done:
	free(tiers);
	free(families);
	free(clients);
}

static int lint_fail(roster_lint *l)
{
	roster_lint_free(l);
	return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
}

int roster_catalog_lint(roster_lint **out, const roster_catalog *cat)
{
	roster_lint *l;

	if (!out)
		return rs_error_tl(ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if (!cat)
		return rs_error_tl(ROSTER_EINVAL, "cat", "arg.null", NULL);
	l = calloc(1, sizeof(*l));
	if (!l)
		return lint_fail(NULL);
	unreachable(l, cat);
	dead_changes(l, cat);
	ambiguous_packs(l, cat);
	unused(l, cat);
	if (finish(l))
		return lint_fail(l);
	*out = l;
	return ROSTER_OK;
}

int rs_catalog_lint_buffer(roster_lint **out, const void *xml, size_t len,
			   const char *name)
{
	roster_catalog *cat = NULL;
	roster_lint *l;
	rs_faults faults;
	size_t i;
	int rc;

	*out = NULL;
	memset(&faults, 0, sizeof(faults));
	rc = rs_catalog_load_collect(&cat, xml, len, name, &faults);
	if (rc == ROSTER_OK && cat) {
		rc = roster_catalog_lint(out, cat);
		roster_catalog_free(cat);
	} else if (rc == ROSTER_OK) {
		l = calloc(1, sizeof(*l));
		if (!l) {
			rs_faults_clear(&faults);
			return lint_fail(NULL);
		}
		for (i = 0; i < faults.n; i++) {
			const rs_fault_cat *f = &faults.v[i];

			if (f->code)
				add(l, f->code, f->what, f->kind, f->a,
				    f->kind2, f->b, f->line, f->line2);
		}
		if (finish(l))
			rc = lint_fail(l);
		else
			*out = l;
	}
	rs_faults_clear(&faults);
	return rc;
}

int roster_catalog_lint_file(roster_lint **out, const char *path)
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
	rc = rs_catalog_lint_buffer(out, buf, len, path);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Findings                                                            */

size_t roster_lint_count(const roster_lint *lint)
{
	return lint ? lint->n : 0;
}

int roster_lint_code_of(const roster_lint *lint, size_t i)
{
	return lint && i < lint->n ? lint->v[i].code : 0;
}

const char *roster_lint_item(const roster_lint *lint, size_t i, int which)
{
	const finding *f;

	if (!lint || i >= lint->n)
		return NULL;
	f = &lint->v[i];
	if (which == 0)
		return f->a;
	if (which == 1 && f->b[0])
		return f->b;
	return NULL;
}

unsigned long roster_lint_line(const roster_lint *lint, size_t i)
{
	return lint && i < lint->n ? lint->v[i].line : 0;
}

const char *roster_lint_message(const roster_lint *lint, size_t i,
				roster_language lang)
{
	if (!lint || i >= lint->n || (int)lang < 0 || lang >= ROSTER_LANG_COUNT)
		return NULL;
	return lint->v[i].msg[lang];
}
