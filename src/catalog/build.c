/*
 * build.c: a schema-valid catalog document to the model.
 *
 * The schema fixed the shape; what is checked here is what it cannot
 * say: identifiers unique per kind, references to items that exist,
 * names complete and clean, licences unique per family and tier, changes
 * listed once and never from a licence to itself, password policy values
 * within range. Every fault is collected with its line (up to
 * RS_LINT_MAX), so that the lint of a file can report all of them; a
 * load reports the first.
 */
#include "internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "util/random.h"
#include "util/text.h"
#include "util/xmlerr.h"

static const char *const kind_names[RS_KIND_LAST + 1] = {
	[ROSTER_ITEM_SERVICE] = "service",   [ROSTER_ITEM_TIER] = "tier",
	[ROSTER_ITEM_EDITION] = "edition",   [ROSTER_ITEM_FAMILY] = "family",
	[ROSTER_ITEM_LICENCE] = "licence",   [ROSTER_ITEM_CLIENT] = "client",
	[ROSTER_ITEM_PACK] = "pack",	     [ROSTER_ITEM_PRODUCT] = "product",
	[ROSTER_ITEM_LANGUAGE] = "language",
};

/* The section holding each kind. */
static const char *const section_names[RS_KIND_LAST + 1] = {
	[ROSTER_ITEM_SERVICE] = "services", [ROSTER_ITEM_TIER] = "tiers",
	[ROSTER_ITEM_EDITION] = "editions", [ROSTER_ITEM_FAMILY] = "families",
	[ROSTER_ITEM_LICENCE] = "licences", [ROSTER_ITEM_CLIENT] = "clients",
	[ROSTER_ITEM_PACK] = "packs",	    [ROSTER_ITEM_PRODUCT] = "products",
	[ROSTER_ITEM_LANGUAGE] = "languages",
};

static const char *const lang_tags[ROSTER_LANG_COUNT] = { "en", "fr", "cs" };

const char *rs_kind_name(int kind)
{
	if (kind < 1 || kind > RS_KIND_LAST)
		return NULL;
	return kind_names[kind];
}

typedef struct bld {
	roster_catalog *cat;
	rs_faults *faults;
	int nomem;
	xmlNode **nodes[RS_KIND_LAST + 1];
	xmlNode *changes, *policy;
} bld;

/* ------------------------------------------------------------------ */
/* Faults                                                              */

static void add_fault(bld *b, const char *rule, int code, const char *what,
		      int kind, const char *a, int kind2, const char *bb,
		      unsigned long line, unsigned long line2,
		      const char *detail)
{
	rs_faults *f = b->faults;
	rs_fault_cat *x, one;
	int i;

	memset(&one, 0, sizeof(one));
	one.rule = rule;
	one.code = code;
	one.what = what;
	one.kind = kind;
	one.kind2 = kind2;
	snprintf(one.a, sizeof(one.a), "%s", a ? a : "");
	snprintf(one.b, sizeof(one.b), "%s", bb ? bb : "");
	one.line = line;
	one.line2 = line2;
	one.seq = f->seen++;
	snprintf(one.detail, sizeof(one.detail), "%s", detail);
	/* the first in the file, whether the list has room or not */
	for (i = code ? 1 : 0; i < 2; i++)
		if (!f->have[i] || line < f->first[i].line) {
			f->first[i] = one;
			f->have[i] = 1;
		}
	if (f->n >= RS_LINT_MAX)
		return;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		rs_fault_cat *v = realloc(f->v, cap * sizeof(*v));

		if (!v) {
			f->nomem = 1;
			b->nomem = 1;
			return;
		}
		f->v = v;
		f->cap = cap;
	}
	x = &f->v[f->n];
	*x = one;
	f->n++;
}

static unsigned long line_of(const xmlNode *n)
{
	long l = xmlGetLineNo(n);

	return l > 0 ? (unsigned long)l : 0;
}

/* A fault of a name or a value: it fails a load, the lint of a file too. */
static void load_fault(bld *b, const char *rule, const xmlNode *n,
		       const char *detail)
{
	add_fault(b, rule, 0, NULL, 0, NULL, 0, NULL, line_of(n), 0, detail);
}

/* A reference to an item of `kind` that the catalog does not have, made
 * by the item `holder` of `holder_kind` (NULL for a change). */
static void unknown(bld *b, const xmlNode *n, int kind, const char *id,
		    int holder_kind, const char *holder)
{
	char detail[128];

	if (holder)
		snprintf(detail, sizeof(detail), "%s %s: no %s %s",
			 kind_names[holder_kind], holder, kind_names[kind], id);
	else
		snprintf(detail, sizeof(detail), "change: no %s %s",
			 kind_names[kind], id);
	add_fault(b, "catalog.reference", ROSTER_LINT_UNKNOWN,
		  holder ? "unknown.ref" : "unknown.change", kind, id,
		  holder_kind, holder, line_of(n), 0, detail);
}

/* ------------------------------------------------------------------ */
/* Nodes                                                               */

static int is_elem(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE &&
	       (!name || strcmp((const char *)n->name, name) == 0);
}

/*
 * The value of attribute `name` (in namespace `ns`, NULL: none) of `n`,
 * to xmlFree; NULL when `n` has none, or when libxml2 ran out of memory
 * copying it (b->nomem set): an attribute is never taken for absent for
 * want of memory.
 */
static xmlChar *prop(bld *b, const xmlNode *n, const char *name,
		     const xmlChar *ns)
{
	xmlChar *v = ns ? xmlGetNsProp(n, (const xmlChar *)name, ns)
			: xmlGetNoNsProp(n, (const xmlChar *)name);

	if (!v && xmlHasNsProp(n, (const xmlChar *)name, ns))
		b->nomem = 1;
	return v;
}

/*
 * An identifier attribute into `out`: 1 when present and well formed, 0
 * when absent. A malformed one (the schema refuses them) is a fault.
 */
static int attr_id(bld *b, const xmlNode *n, const char *name,
		   char out[ROSTER_ITEM_ID_MAX + 1])
{
	xmlChar *v = prop(b, n, name, NULL);
	size_t len, i;
	int ok = 1;

	out[0] = '\0';
	if (!v)
		return 0;
	len = strlen((const char *)v);
	if (len < 1 || len > ROSTER_ITEM_ID_MAX)
		ok = 0;
	for (i = 0; ok && i < len; i++) {
		char c = (char)v[i];
		ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		     c == '-';
	}
	if (ok)
		memcpy(out, v, len + 1);
	xmlFree(v);
	if (!ok) {
		char detail[96];

		snprintf(detail, sizeof(detail), "%s: not an identifier", name);
		load_fault(b, "catalog.schema", n, detail);
	}
	return ok;
}

static char *arena_dup(bld *b, const char *s)
{
	char *d = rs_arena_strdup(&b->cat->arena, s);

	if (!d)
		b->nomem = 1;
	return d;
}

static void *arena_alloc(bld *b, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size) {
		b->nomem = 1;
		return NULL;
	}
	p = rs_arena_alloc(&b->cat->arena, n * size);
	if (!p)
		b->nomem = 1;
	return p;
}

/* ------------------------------------------------------------------ */
/* Identifiers                                                         */

typedef struct idpair {
	const char *id;
	uint32_t idx;
} idpair;

static int cmp_idpair(const void *x, const void *y)
{
	const idpair *a = x, *b = y;
	int c = strcmp(a->id, b->id);

	if (c)
		return c;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

static uint64_t load64(const char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static uint64_t load32(const char *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 31);
}

/*
 * The hash of an identifier of `len` bytes: a word at a time, the last
 * one overlapping the one before, so that a lookup costs a few
 * multiplications whatever the identifier.
 */
static uint32_t id_hash(uint64_t seed, const char *id, size_t len)
{
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
	size_t i;

	if (len >= 8) {
		for (i = 0; i + 8 < len; i += 8)
			h = mix(h, load64(id + i));
		h = mix(h, load64(id + len - 8));
	} else if (len >= 4) {
		h = mix(h, load32(id) << 32 | load32(id + len - 4));
	} else if (len) {
		h = mix(h, (uint64_t)(unsigned char)id[0] << 16 |
				   (uint64_t)(unsigned char)id[len / 2] << 8 |
				   (unsigned char)id[len - 1]);
	}
	h *= 0x94d049bb133111ebULL;
	return (uint32_t)(h ^ (h >> 32));
}

/* The tag of an identifier: its hash's upper bits and its length. */
static uint32_t id_tag(uint32_t hash, size_t len)
{
	return (hash & ~(uint32_t)63) | (uint32_t)len;
}

uint32_t rs_catalog_find(const roster_catalog *cat, int kind, const char *id)
{
	const rs_kind *k;
	const rs_slot *s;
	uint32_t i, h, tag;
	size_t len;

	if (kind < 1 || kind > RS_KIND_LAST || !id)
		return RS_NONE;
	k = &cat->kind[kind];
	if (!k->slots)
		return RS_NONE;
	/* no item has a longer one: the scan of a long string stops here */
	len = strnlen(id, ROSTER_ITEM_ID_MAX + 1);
	if (len > ROSTER_ITEM_ID_MAX)
		return RS_NONE;
	h = id_hash(cat->seed, id, len);
	tag = id_tag(h, len);
	for (i = h & k->mask; (s = &k->slots[i])->item != RS_NONE;
	     i = (i + 1) & k->mask)
		/* an equal tag is an equal length: both have len bytes */
		if (s->tag == tag && memcmp(k->items[s->item].id, id, len) == 0)
			return s->item;
	return RS_NONE;
}

/*
 * The hash index of the items of a kind. Items go in in catalog order
 * and an identifier given twice is not added again: the first one is the
 * one in force (the lint of a file resolves references with it).
 */
static void index_ids(bld *b, rs_kind *k)
{
	uint32_t cap = 2, i, j;

	if (!k->n)
		return;
	if (k->n > UINT32_MAX / 4) {
		b->nomem = 1;
		return;
	}
	while (cap < 2 * k->n)
		cap *= 2;
	k->slots = arena_alloc(b, cap, sizeof(rs_slot));
	if (!k->slots)
		return;
	for (j = 0; j < cap; j++)
		k->slots[j].item = RS_NONE;
	k->mask = cap - 1;
	for (i = 0; i < k->n; i++) {
		const char *id = k->items[i].id;
		size_t len = strlen(id);
		uint32_t h = id_hash(b->cat->seed, id, len);
		rs_slot *s;

		for (j = h & k->mask; (s = &k->slots[j])->item != RS_NONE;
		     j = (j + 1) & k->mask)
			if (strcmp(k->items[s->item].id, id) == 0)
				break;
		if (s->item == RS_NONE) {
			s->tag = id_tag(h, len);
			s->item = i;
		}
	}
}

/* Identifiers and lines of the items of one kind, their hash index and
 * the identifiers given twice. */
static void read_ids(bld *b, int kind)
{
	rs_kind *k = &b->cat->kind[kind];
	idpair *pairs;
	uint32_t i, run;

	for (i = 0; i < k->n; i++) {
		const xmlNode *n = b->nodes[kind][i];
		char id[ROSTER_ITEM_ID_MAX + 1];

		if (!attr_id(b, n, "id", id))
			id[0] = '\0';
		k->items[i].id = arena_dup(b, id);
		k->items[i].line = line_of(n);
		k->items[i].family = RS_NONE;
		k->items[i].tier = RS_NONE;
		if (b->nomem)
			return;
	}
	pairs = k->n ? malloc(k->n * sizeof(*pairs)) : NULL;
	if (k->n && !pairs) {
		b->nomem = 1;
		return;
	}
	for (i = 0; i < k->n; i++) {
		pairs[i].id = k->items[i].id;
		pairs[i].idx = i;
	}
	if (k->n)
		qsort(pairs, k->n, sizeof(*pairs), cmp_idpair);
	for (i = 0, run = 0; i < k->n; i++) {
		if (i > 0 && strcmp(pairs[i].id, pairs[i - 1].id) != 0)
			run = i;
		if (i > run) {
			/* the first of the run is the one in force */
			uint32_t first = pairs[run].idx, dup = pairs[i].idx;
			char detail[128];

			snprintf(detail, sizeof(detail),
				 "%s %s given twice (first at line %lu)",
				 kind_names[kind], pairs[i].id,
				 k->items[first].line);
			add_fault(b, "catalog.duplicate", ROSTER_LINT_DUPLICATE,
				  "duplicate.id", kind, pairs[i].id, 0, NULL,
				  k->items[dup].line, k->items[first].line,
				  detail);
		}
	}
	free(pairs);
	index_ids(b, k);
}

/* Resolve a reference, recording a fault when it names nothing. */
static uint32_t resolve(bld *b, const xmlNode *n, int kind, const char *id,
			int holder_kind, const char *holder)
{
	uint32_t x = rs_catalog_find(b->cat, kind, id);

	if (x == RS_NONE)
		unknown(b, n, kind, id, holder_kind, holder);
	return x;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

typedef struct rawname {
	int lang;
	uint32_t edition; /* RS_NONE: none */
	size_t order;
	char *text; /* from libxml2 */
	const xmlNode *node;
} rawname;

/* A display name is 1 to RS_NAME_MAX bytes, with no control, line or
 * paragraph separator or invisible format character and no space of any
 * kind (U+0020, U+00A0, U+3000, ...) at either end. */
static int name_ok(const char *s)
{
	size_t len = strlen(s), i = 0;
	int space = 0;

	if (len == 0 || len > RS_NAME_MAX)
		return 0;
	while (i < len) {
		int unsafe = 0;
		size_t n = rs_utf8_step(s + i, len - i, &unsafe);

		if (n == 0 || unsafe)
			return 0;
		space = rs_utf8_is_space(s + i, n);
		if (i == 0 && space)
			return 0;
		i += n;
	}
	return !space;
}

static void name_fault(bld *b, const xmlNode *n, int kind, const char *id,
		       const char *what, int lang, const char *edition)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "%s %s: %s name%s%s %s",
		 kind_names[kind], id, lang_tags[lang],
		 edition ? " for edition " : "", edition ? edition : "", what);
	load_fault(b, "catalog.name", n, detail);
}

static int lang_of(bld *b, const xmlNode *n)
{
	xmlChar *v = prop(b, n, "lang", XML_XML_NAMESPACE);
	int i, r = -1;

	if (!v)
		return -1;
	for (i = 0; i < ROSTER_LANG_COUNT; i++)
		if (strcmp((const char *)v, lang_tags[i]) == 0)
			r = i;
	xmlFree(v);
	return r;
}

/* By edition (none first), language, then document order. */
static int cmp_rawname(const void *x, const void *y)
{
	const rawname *a = x, *b = y;
	uint32_t ea = a->edition + 1, eb = b->edition + 1; /* RS_NONE: 0 */

	if (ea != eb)
		return (ea > eb) - (ea < eb);
	if (a->lang != b->lang)
		return (a->lang > b->lang) - (a->lang < b->lang);
	return (a->order > b->order) - (a->order < b->order);
}

static const char *edition_id(bld *b, uint32_t edition)
{
	if (edition == RS_NONE)
		return NULL;
	return b->cat->kind[ROSTER_ITEM_EDITION].items[edition].id;
}

/*
 * The names of an item: one set without edition, then one per edition
 * named. In each set, the first name of a language is the one; another
 * one is a fault, and so is a language missing.
 */
static void read_names(bld *b, int kind, rs_item *it, const xmlNode *node)
{
	const xmlNode *c;
	rawname *raw;
	size_t n = 0, cap = 0, i, groups = 1, g;
	unsigned char *told; /* per set, the languages named */
	rs_names *out;

	for (c = node->children; c; c = c->next)
		if (is_elem(c, "name"))
			cap++;
	raw = cap ? calloc(cap, sizeof(*raw)) : NULL;
	if (cap && !raw) {
		b->nomem = 1;
		return;
	}
	for (c = node->children; c && !b->nomem; c = c->next) {
		char ed[ROSTER_ITEM_ID_MAX + 1];
		rawname *r;

		if (!is_elem(c, "name"))
			continue;
		r = &raw[n];
		r->node = c;
		r->order = n;
		r->lang = lang_of(b, c);
		r->edition = RS_NONE;
		if (r->lang < 0) {
			load_fault(b, "catalog.schema", c, "name: bad xml:lang");
			continue;
		}
		if (attr_id(b, c, "edition", ed)) {
			r->edition = resolve(b, c, ROSTER_ITEM_EDITION, ed, kind,
					     it->id);
			if (r->edition == RS_NONE)
				continue; /* told by resolve */
		}
		r->text = (char *)xmlNodeGetContent(c);
		if (!r->text) {
			b->nomem = 1;
			break;
		}
		n++;
	}
	if (n)
		qsort(raw, n, sizeof(*raw), cmp_rawname);
	for (i = 0; i < n; i++)
		if (raw[i].edition != RS_NONE &&
		    (i == 0 || raw[i].edition != raw[i - 1].edition))
			groups++;
	out = b->nomem ? NULL : arena_alloc(b, groups, sizeof(*out));
	told = out ? calloc(groups, 1) : NULL;
	if (out && !told)
		b->nomem = 1;
	for (g = 0; told && g < groups; g++) {
		out[g].edition = RS_NONE;
		memset(out[g].text, 0, sizeof(out[g].text));
	}
	for (i = 0, g = 0; told && i < n; i++) {
		rawname *r = &raw[i];

		if (r->edition != RS_NONE &&
		    (i == 0 || r->edition != raw[i - 1].edition))
			out[++g].edition = r->edition;
		if (told[g] & (1u << r->lang)) {
			name_fault(b, r->node, kind, it->id, "given twice",
				   r->lang, edition_id(b, r->edition));
			continue;
		}
		told[g] |= (unsigned char)(1u << r->lang);
		if (!name_ok(r->text)) {
			name_fault(b, r->node, kind, it->id,
				   "malformed (empty, spaced, control "
				   "character, over 128 bytes)",
				   r->lang, edition_id(b, r->edition));
			continue;
		}
		out[g].text[r->lang] = arena_dup(b, r->text);
	}
	for (g = 0; told && g < groups; g++) {
		int l;

		for (l = 0; l < ROSTER_LANG_COUNT; l++)
			if (!(told[g] & (1u << l)))
				name_fault(b, node, kind, it->id, "missing", l,
					   edition_id(b, out[g].edition));
	}
	if (told) {
		it->names = out;
		it->nnames = (uint32_t)groups;
	}
	free(told);
	for (i = 0; i < n; i++)
		xmlFree(raw[i].text);
	free(raw);
}

/* ------------------------------------------------------------------ */
/* Sets of references                                                  */

typedef struct ref {
	uint32_t idx;
	uint32_t order;
	const xmlNode *node;
} ref;

static int cmp_ref(const void *x, const void *y)
{
	const ref *a = x, *b = y;

	if (a->idx != b->idx)
		return (a->idx > b->idx) - (a->idx < b->idx);
	return (a->order > b->order) - (a->order < b->order);
}

/*
 * The set of the items of `kind` named by attribute `attr` of the
 * children `child` of `node` (the item `id` of `holder_kind`).
 */
static void read_set(bld *b, rs_set *out, const xmlNode *node,
		     const char *child, const char *attr, int kind,
		     int holder_kind, const char *id)
{
	const xmlNode *c;
	ref *refs;
	uint32_t *v;
	size_t n = 0, cap = 0, i, u = 0;

	out->v = NULL;
	out->n = 0;
	for (c = node->children; c; c = c->next)
		if (is_elem(c, child))
			cap++;
	if (!cap)
		return;
	refs = malloc(cap * sizeof(*refs));
	if (!refs) {
		b->nomem = 1;
		return;
	}
	for (c = node->children; c; c = c->next) {
		char rid[ROSTER_ITEM_ID_MAX + 1];
		uint32_t x;

		if (!is_elem(c, child) || !attr_id(b, c, attr, rid))
			continue;
		x = resolve(b, c, kind, rid, holder_kind, id);
		if (x == RS_NONE)
			continue;
		refs[n].idx = x;
		refs[n].order = (uint32_t)n;
		refs[n].node = c;
		n++;
	}
	if (n)
		qsort(refs, n, sizeof(*refs), cmp_ref);
	v = n ? arena_alloc(b, n, sizeof(*v)) : NULL;
	for (i = 0; i < n && v; i++) {
		if (i > 0 && refs[i].idx == refs[i - 1].idx) {
			const char *rid =
				b->cat->kind[kind].items[refs[i].idx].id;
			char detail[128];

			snprintf(detail, sizeof(detail), "%s %s lists %s %s twice",
				 kind_names[holder_kind], id, kind_names[kind],
				 rid);
			add_fault(b, "catalog.duplicate", ROSTER_LINT_DUPLICATE,
				  "duplicate.ref", kind, rid, holder_kind, id,
				  line_of(refs[i].node),
				  line_of(refs[i - 1].node), detail);
			continue;
		}
		v[u++] = refs[i].idx;
	}
	free(refs);
	out->v = v;
	out->n = (uint32_t)u;
}

/* The union of two sets, in the arena. */
static rs_set set_union(bld *b, rs_set x, rs_set y)
{
	rs_set r = { NULL, 0 };
	uint32_t *v, i = 0, j = 0, n = 0;

	if (!x.n)
		return y;
	if (!y.n)
		return x;
	v = arena_alloc(b, (size_t)x.n + y.n, sizeof(*v));
	if (!v)
		return r;
	while (i < x.n || j < y.n) {
		if (j == y.n || (i < x.n && x.v[i] < y.v[j]))
			v[n++] = x.v[i++];
		else if (i == x.n || y.v[j] < x.v[i])
			v[n++] = y.v[j++];
		else {
			v[n++] = x.v[i++];
			j++;
		}
	}
	r.v = v;
	r.n = n;
	return r;
}

/* ------------------------------------------------------------------ */
/* Items of each kind                                                  */

static void read_licence(bld *b, rs_item *it, const xmlNode *n)
{
	char id[ROSTER_ITEM_ID_MAX + 1];
	rs_set own;

	if (attr_id(b, n, "family", id))
		it->family = resolve(b, n, ROSTER_ITEM_FAMILY, id,
				     ROSTER_ITEM_LICENCE, it->id);
	if (attr_id(b, n, "tier", id))
		it->tier = resolve(b, n, ROSTER_ITEM_TIER, id,
				   ROSTER_ITEM_LICENCE, it->id);
	read_set(b, &own, n, "requires", "service", ROSTER_ITEM_SERVICE,
		 ROSTER_ITEM_LICENCE, it->id);
	if (it->family != RS_NONE)
		it->set[0] = set_union(
			b, b->cat->kind[ROSTER_ITEM_FAMILY].items[it->family].set[0],
			own);
	else
		it->set[0] = own;
}

typedef struct ftier {
	uint32_t family, tier, idx;
} ftier;

static int cmp_ftier(const void *x, const void *y)
{
	const ftier *a = x, *b = y;

	if (a->family != b->family)
		return (a->family > b->family) - (a->family < b->family);
	if (a->tier != b->tier)
		return (a->tier > b->tier) - (a->tier < b->tier);
	return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Two licences of one family at one tier (or both without tier). */
static void check_family_tiers(bld *b)
{
	rs_kind *k = &b->cat->kind[ROSTER_ITEM_LICENCE];
	ftier *v;
	uint32_t i, n = 0, run;

	if (!k->n)
		return;
	v = malloc(k->n * sizeof(*v));
	if (!v) {
		b->nomem = 1;
		return;
	}
	for (i = 0; i < k->n; i++) {
		/* a family or tier that names nothing was reported already:
		 * two unknown tiers are not the same one */
		if (k->items[i].family == RS_NONE ||
		    (k->items[i].tier == RS_NONE &&
		     xmlHasProp(b->nodes[ROSTER_ITEM_LICENCE][i],
				(const xmlChar *)"tier")))
			continue;
		v[n].family = k->items[i].family;
		v[n].tier = k->items[i].tier;
		v[n].idx = i;
		n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_ftier);
	for (i = 1, run = 0; i < n; i++) {
		const rs_item *dup, *first;
		char detail[128];

		if (v[i].family != v[i - 1].family || v[i].tier != v[i - 1].tier) {
			run = i;
			continue;
		}
		dup = &k->items[v[i].idx];
		first = &k->items[v[run].idx];
		snprintf(detail, sizeof(detail),
			 "licence %s has the family and tier of %s", dup->id,
			 first->id);
		add_fault(b, "catalog.duplicate", ROSTER_LINT_DUPLICATE,
			  "duplicate.tier", ROSTER_ITEM_LICENCE, dup->id,
			  ROSTER_ITEM_LICENCE, first->id, dup->line,
			  first->line, detail);
	}
	free(v);
}

static void read_items(bld *b, int kind)
{
	rs_kind *k = &b->cat->kind[kind];
	uint32_t i;

	for (i = 0; i < k->n && !b->nomem; i++) {
		rs_item *it = &k->items[i];
		const xmlNode *n = b->nodes[kind][i];

		read_names(b, kind, it, n);
		switch (kind) {
		case ROSTER_ITEM_EDITION:
			read_set(b, &it->set[0], n, "offer", "tier",
				 ROSTER_ITEM_TIER, kind, it->id);
			read_set(b, &it->set[1], n, "orderable", "service",
				 ROSTER_ITEM_SERVICE, kind, it->id);
			break;
		case ROSTER_ITEM_FAMILY:
			read_set(b, &it->set[0], n, "requires", "service",
				 ROSTER_ITEM_SERVICE, kind, it->id);
			break;
		case ROSTER_ITEM_LICENCE:
			read_licence(b, it, n);
			break;
		case ROSTER_ITEM_PACK:
			read_set(b, &it->set[0], n, "includes", "client",
				 ROSTER_ITEM_CLIENT, kind, it->id);
			break;
		default:
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Changes                                                             */

static int cmp_change(const void *x, const void *y)
{
	const rs_change *a = x, *b = y;

	if (a->from != b->from)
		return (a->from > b->from) - (a->from < b->from);
	if (a->to != b->to)
		return (a->to > b->to) - (a->to < b->to);
	return (a->line > b->line) - (a->line < b->line);
}

/* The changes as a bit matrix, when the licences are few enough for
 * one: a decision is then one bit, not a search. */
static void change_bits(bld *b)
{
	roster_catalog *cat = b->cat;
	size_t nl = cat->kind[ROSTER_ITEM_LICENCE].n, words, i;
	uint64_t *bits;

	if (!cat->nchanges || nl > RS_CHANGE_BITS)
		return;
	words = (nl * nl + 63) / 64;
	bits = arena_alloc(b, words, sizeof(*bits));
	if (!bits)
		return;
	memset(bits, 0, words * sizeof(*bits));
	for (i = 0; i < cat->nchanges; i++) {
		size_t bit = (size_t)cat->changes[i].from * nl +
			     cat->changes[i].to;

		bits[bit / 64] |= (uint64_t)1 << (bit % 64);
	}
	cat->change_bits = bits;
}

static void read_changes(bld *b)
{
	roster_catalog *cat = b->cat;
	const rs_item *lic = cat->kind[ROSTER_ITEM_LICENCE].items;
	const xmlNode *c;
	size_t cap = 0, n = 0, i;

	if (!b->changes)
		return;
	for (c = b->changes->children; c; c = c->next)
		if (is_elem(c, "change"))
			cap++;
	if (!cap)
		return;
	cat->changes = arena_alloc(b, cap, sizeof(rs_change));
	cat->changes_sorted = arena_alloc(b, cap, sizeof(rs_change));
	if (b->nomem)
		return;
	for (c = b->changes->children; c; c = c->next) {
		char from[ROSTER_ITEM_ID_MAX + 1], to[ROSTER_ITEM_ID_MAX + 1];
		uint32_t f, t;

		if (!is_elem(c, "change") || !attr_id(b, c, "from", from) ||
		    !attr_id(b, c, "to", to))
			continue;
		f = resolve(b, c, ROSTER_ITEM_LICENCE, from, 0, NULL);
		t = resolve(b, c, ROSTER_ITEM_LICENCE, to, 0, NULL);
		if (f == RS_NONE || t == RS_NONE)
			continue;
		if (f == t) {
			char detail[128];

			snprintf(detail, sizeof(detail),
				 "change from %s to itself", from);
			load_fault(b, "catalog.value", c, detail);
			continue;
		}
		cat->changes[n].from = f;
		cat->changes[n].to = t;
		cat->changes[n].line = line_of(c);
		n++;
	}
	if (n) {
		memcpy(cat->changes_sorted, cat->changes,
		       n * sizeof(rs_change));
		qsort(cat->changes_sorted, n, sizeof(rs_change), cmp_change);
	}
	for (i = 1; i < n; i++) {
		const rs_change *x = &cat->changes_sorted[i];
		const rs_change *y = &cat->changes_sorted[i - 1];
		char detail[128];

		if (x->from != y->from || x->to != y->to)
			continue;
		snprintf(detail, sizeof(detail),
			 "change %s -> %s given twice (first at line %lu)",
			 lic[x->from].id, lic[x->to].id, y->line);
		add_fault(b, "catalog.duplicate", ROSTER_LINT_DUPLICATE,
			  "duplicate.change", ROSTER_ITEM_LICENCE,
			  lic[x->from].id, ROSTER_ITEM_LICENCE, lic[x->to].id,
			  x->line, y->line, detail);
	}
	cat->nchanges = (uint32_t)n;
	change_bits(b);
}

/* ------------------------------------------------------------------ */
/* Password policy                                                     */

/* An xsd:unsignedInt or xsd:long as the schema accepted it: optional
 * white space and sign, digits. 0 when it does not fit. */
static int parse_num(const char *s, long long *out)
{
	int neg = 0, digits = 0;
	long long v = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	while (*s >= '0' && *s <= '9') {
		int d = *s++ - '0';

		if (v > (LLONG_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
		digits++;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (!digits || *s)
		return 0;
	*out = neg ? -v : v;
	return 1;
}

static int policy_num(bld *b, const char *attr, long long lo, long long hi,
		      long long *out)
{
	xmlChar *v = prop(b, b->policy, attr, NULL);
	long long x;
	int ok;

	if (!v)
		return 0;
	ok = parse_num((const char *)v, &x) && x >= lo && x <= hi;
	if (!ok) {
		char detail[128];

		snprintf(detail, sizeof(detail),
			 "password-policy: %s %.24s is out of range", attr,
			 (const char *)v);
		load_fault(b, "catalog.value", b->policy, detail);
	} else {
		*out = x;
	}
	xmlFree(v);
	return ok;
}

static void read_policy(bld *b)
{
	roster_password_policy *p = &b->cat->policy;
	xmlChar *classes;
	long long v;

	roster_password_policy_init(p, ROSTER_PASSWORD_POLICY_VERSION);
	if (!b->policy)
		return;
	if (policy_num(b, "min-length", ROSTER_PASSWORD_LENGTH_MIN,
		       ROSTER_PASSWORD_LENGTH_MAX, &v))
		p->min_length = (unsigned)v;
	if (policy_num(b, "max-length", ROSTER_PASSWORD_LENGTH_MIN,
		       ROSTER_PASSWORD_LENGTH_MAX, &v))
		p->max_length = (unsigned)v;
	if (policy_num(b, "generated-length", ROSTER_PASSWORD_LENGTH_MIN,
		       ROSTER_PASSWORD_LENGTH_MAX, &v))
		p->generated_length = (unsigned)v;
	if (policy_num(b, "hash-cost", 1, 11, &v))
		p->hash_cost = (unsigned)v;
	if (policy_num(b, "reset-ttl", 60, 90LL * 86400, &v))
		p->reset_ttl = v;
	if (policy_num(b, "welcome-ttl", 60, 90LL * 86400, &v))
		p->welcome_ttl = v;
	classes = prop(b, b->policy, "required-classes", NULL);
	if (classes) {
		static const char *const names[] = { "lower", "upper", "digit",
						     "symbol" };
		static const unsigned bits[] = { ROSTER_CLASS_LOWER,
						 ROSTER_CLASS_UPPER,
						 ROSTER_CLASS_DIGIT,
						 ROSTER_CLASS_SYMBOL };
		const char *s = (const char *)classes;

		p->required_classes = 0;
		while (*s) {
			size_t len, i;

			while (*s == ' ' || *s == '\t' || *s == '\n' ||
			       *s == '\r')
				s++;
			len = strcspn(s, " \t\n\r");
			if (!len)
				break;
			for (i = 0; i < 4; i++)
				if (strlen(names[i]) == len &&
				    strncmp(s, names[i], len) == 0)
					break;
			if (i == 4) {
				load_fault(b, "catalog.value", b->policy,
					   "password-policy: unknown class in "
					   "required-classes");
				break;
			}
			p->required_classes |= bits[i];
			s += len;
		}
		xmlFree(classes);
	}
	/* the rules across members of roster_directory_set_password_policy */
	if (p->max_length < p->min_length)
		load_fault(b, "catalog.value", b->policy,
			   "password-policy: max-length is below min-length");
	else if (p->generated_length < p->min_length ||
		 p->generated_length > p->max_length)
		load_fault(b, "catalog.value", b->policy,
			   "password-policy: generated-length is outside "
			   "min-length..max-length");
}

/* ------------------------------------------------------------------ */
/* The whole                                                           */

static int section_kind(const xmlNode *n)
{
	int k;

	for (k = 1; k <= RS_KIND_LAST; k++)
		if (strcmp((const char *)n->name, section_names[k]) == 0)
			return k;
	return 0;
}

/* Find the sections, count the items and make room for them. */
static void read_sections(bld *b, const xmlNode *root)
{
	const xmlNode *s, *c;

	for (s = root->children; s && !b->nomem; s = s->next) {
		int kind;
		rs_kind *k;
		uint32_t n = 0;

		if (!is_elem(s, NULL))
			continue;
		if (strcmp((const char *)s->name, "changes") == 0) {
			b->changes = (xmlNode *)s;
			continue;
		}
		if (strcmp((const char *)s->name, "password-policy") == 0) {
			b->policy = (xmlNode *)s;
			continue;
		}
		kind = section_kind(s);
		if (!kind || b->nodes[kind])
			continue; /* the schema allows neither */
		for (c = s->children; c; c = c->next)
			if (is_elem(c, kind_names[kind]))
				n++;
		k = &b->cat->kind[kind];
		k->items = n ? arena_alloc(b, n, sizeof(rs_item)) : NULL;
		b->nodes[kind] = calloc(n ? n : 1, sizeof(xmlNode *));
		if (!b->nodes[kind] || (n && !k->items)) {
			b->nomem = 1;
			return;
		}
		if (n)
			memset(k->items, 0, n * sizeof(rs_item));
		n = 0;
		for (c = s->children; c; c = c->next)
			if (is_elem(c, kind_names[kind]))
				b->nodes[kind][n++] = (xmlNode *)c;
		k->n = n;
	}
}

int rs_catalog_build(roster_catalog **out, void *doc, rs_faults *faults)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	size_t before = faults->n;
	rs_xml_handlers host;
	bld b;
	int kind, i;
	/* families before licences: a licence needs its family's services */
	static const int order[] = {
		ROSTER_ITEM_SERVICE, ROSTER_ITEM_TIER,	  ROSTER_ITEM_EDITION,
		ROSTER_ITEM_FAMILY,  ROSTER_ITEM_LICENCE, ROSTER_ITEM_CLIENT,
		ROSTER_ITEM_PACK,    ROSTER_ITEM_PRODUCT, ROSTER_ITEM_LANGUAGE,
	};

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.faults = faults;
	b.cat = calloc(1, sizeof(*b.cat));
	if (!b.cat)
		return ROSTER_ENOMEM;
	atomic_init(&b.cat->refs, 1);
	/* without the system's randomness, only a catalog crafted to
	 * collide for a known seed makes lookups slower */
	if (rs_random(&b.cat->seed, sizeof(b.cat->seed)) != 0)
		b.cat->seed = (uint64_t)(uintptr_t)b.cat;
	/* libxml2 short of memory copying a value would print it: the
	 * NULL it returns is told (prop) */
	rs_xml_errors_take(&host, NULL, NULL);
	if (root)
		read_sections(&b, root);
	for (kind = 1; kind <= RS_KIND_LAST && !b.nomem; kind++)
		read_ids(&b, kind);
	for (i = 0; i < (int)(sizeof(order) / sizeof(order[0])) && !b.nomem;
	     i++)
		read_items(&b, order[i]);
	if (!b.nomem)
		check_family_tiers(&b);
	if (!b.nomem)
		read_changes(&b);
	if (!b.nomem)
		read_policy(&b);
	rs_xml_errors_restore(&host);
	for (kind = 1; kind <= RS_KIND_LAST; kind++)
		free(b.nodes[kind]);
	if (b.nomem || faults->nomem) {
		rs_catalog_destroy(b.cat);
		return ROSTER_ENOMEM;
	}
	if (faults->n > before) {
		rs_catalog_destroy(b.cat);
		return ROSTER_OK;
	}
	*out = b.cat;
	return ROSTER_OK;
}
