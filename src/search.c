/*
 * search.c: search as you type and filters over users (search.h).
 *
 * Every version of a user carries its sort key (its folded last and
 * first names' words, " last\x01 first") and its search words (the folded
 * words of its display name and numbers, each after a space), derived
 * when the version is made or loaded; its login's words are the runs of
 * letters and digits of its lower-case key, and its numbers as written
 * in their countries are made when read (rs_user_number_words). A query
 * word matches a user when " word" begins one of these words
 * (rs_user_has_word). The
 * matching users are sorted by (sort key, id); a cursor holds the key and
 * id of the last user shown, so a page starts strictly after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "catalog/internal.h"
#include "policy.h"
#include "search_index.h"
#include "txn.h"
#include "util/text.h"
#include "validate.h"

#define WORDS_MAX 16 /* query words kept */

struct roster_query {
	char *text;		  /* as given */
	char *words[WORDS_MAX];	  /* its folded words */
	size_t nwords;
	unsigned props;		  /* bits 1 << roster_filter */
	char *item[3];		  /* licence, pack, product; NULL: any */
	roster_id group, site;
};

/* ------------------------------------------------------------------ */
/* Keys of a user                                                      */

/* The fields whose words are kept folded, in the order they are kept
 * (the login's words are read in its key: search_index.h). */
static const int search_fields[] = { ROSTER_FIELD_FIRST_NAME,
				     ROSTER_FIELD_LAST_NAME,
				     ROSTER_FIELD_DISPLAY_NAME,
				     ROSTER_FIELD_EXTENSION,
				     ROSTER_FIELD_PHONE };
#define NSEARCH (sizeof(search_fields) / sizeof(search_fields[0]))

uint64_t rs_search_field_mask(void)
{
	uint64_t m = (uint64_t)1 << ROSTER_FIELD_LINES;
	size_t i;

	for (i = 0; i < NSEARCH; i++)
		m |= (uint64_t)1 << search_fields[i];
	return m;
}

/* Room in buf for `need` bytes in all, its first len bytes kept: buf
 * moves to the heap (from `stack`, or a smaller heap block), doubling. 0
 * or -1 out of memory. */
static int grow_to(roster_directory *dir, char **buf, size_t *cap,
		   size_t len, const char *stack, size_t need)
{
	size_t c = *cap * 2;
	char *b;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (!(b = rs_malloc(&dir->al, c)))
		return -1;
	memcpy(b, *buf, len);
	if (*buf != stack)
		rs_free(&dir->al, *buf);
	*buf = b;
	*cap = c;
	return 0;
}

/* The words of each search field and line, one after the other, in
 * buf (grown on the heap when they do not fit); *name_end gets where the
 * first and last names' words end. 0, -1 out of memory. */
static int fold_fields(roster_directory *dir, const rs_user *u, char **buf,
		       size_t *cap, size_t *len, size_t name_end[2],
		       char *stack)
{
	size_t n = NSEARCH + u->nlines, i = 0, l;
	int rc;

	*len = 0;
	while (i < n) {
		const char *v = i < NSEARCH ? RS_STR(u, search_fields[i])
					    : RS_LINE(u, i - NSEARCH);
		rc = rs_text_words_to(&dir->al, v ? v : "", *buf + *len,
				      *cap - *len, &l);
		if (rc == -3) {
			/* room for this field at 5 bytes an input byte, and
			 * more by doubling each time it still does not fit
			 * (a compatibility form may fold to more: U+FDFA is
			 * 3 bytes, 18 code points) */
			size_t need = *len + strlen(v ? v : "") * 5 + 2;
			if (grow_to(dir, buf, cap, *len, stack,
				    need > *cap ? need : *cap + 1))
				return -1;
			continue;
		}
		if (rc)
			return -1; /* the fields were validated: memory */
		*len += l;
		if (i < 2)
			name_end[i] = *len;
		i++;
	}
	return 0;
}

/* buf[*len..] gets n bytes of s and a NUL, buf grown (grow_to). 0 or -1
 * out of memory. */
static int append_to(roster_directory *dir, char **buf, size_t *cap,
		     size_t *len, const char *stack, const char *s, size_t n)
{
	if (grow_to(dir, buf, cap, *len, stack, *len + n + 1))
		return -1;
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Is `w` (n bytes) one of the words in buf[0..len), each after a space? */
static int holds_word(const char *buf, size_t len, const char *w, size_t n)
{
	const char *at = buf, *end = buf + len;

	while ((at = memmem(at, (size_t)(end - at), w, n)) != NULL) {
		if (at > buf && at[-1] == ' ' &&
		    (at + n == end || at[n] == ' ' || at[n] == '\x01'))
			return 1;
		at++;
	}
	return 0;
}

/* Append " w" (n bytes) to the words unless they hold it. 0 or -1. */
static int add_word(roster_directory *dir, char **buf, size_t *cap,
		    size_t *len, const char *stack, const char *w, size_t n)
{
	if (!n || holds_word(*buf, *len, w, n))
		return 0;
	return append_to(dir, buf, cap, len, stack, " ", 1) ||
	       append_to(dir, buf, cap, len, stack, w, n);
}

/* The apostrophes of names (O'Brien, D’Artagnan, Oʼneil). */
static size_t apostrophe_at(const char *p)
{
	if (*p == '\'')
		return 1;
	if (strncmp(p, "\xE2\x80\x99", 3) == 0) /* U+2019 */
		return 3;
	if (strncmp(p, "\xCA\xBC", 2) == 0) /* U+02BC */
		return 2;
	return 0;
}

/*
 * A name written with an apostrophe is found as typed with it ("o'b":
 * two words) and without it ("obrien"): the words of the first, last and
 * display names with their apostrophes taken out that are not among the
 * user's words already are appended to them. 0 or -1 out of memory.
 */
static int joined_names(roster_directory *dir, const rs_user *u, char **buf,
			size_t *cap, size_t *len, const char *stack)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		const char *v = RS_STR(u, search_fields[i]), *p;
		char *plain, *words = NULL, *save = NULL, *w;
		size_t o = 0, a;
		int rc = 0;

		for (p = v; p && *p && !apostrophe_at(p); p++)
			;
		if (!p || !*p)
			continue;
		if (!(plain = rs_malloc(&dir->al, strlen(v) + 1)))
			return -1;
		for (p = v; *p; p += a ? a : 1)
			if (!(a = apostrophe_at(p)))
				plain[o++] = *p;
		plain[o] = '\0';
		if (rs_text_words(&dir->al, plain, &words)) {
			rs_free(&dir->al, plain);
			return -1; /* the name was validated: memory */
		}
		rs_free(&dir->al, plain);
		for (w = strtok_r(words, " ", &save); w && !rc;
		     w = strtok_r(NULL, " ", &save))
			rc = add_word(dir, buf, cap, len, stack, w, strlen(w));
		rs_free(&dir->al, words);
		if (rc)
			return -1;
	}
	return 0;
}

/* Append " w" (n bytes) to the words in buf (size bytes, *len used)
 * unless they hold it; a word that does not fit is left out. */
static void put_word(char *buf, size_t size, size_t *len, const char *w,
		     size_t n)
{
	if (!n || holds_word(buf, *len, w, n) || *len + 1 + n + 1 > size)
		return;
	buf[(*len)++] = ' ';
	memcpy(buf + *len, w, n);
	*len += n;
	buf[*len] = '\0';
}

/*
 * The national forms of one number, its digits (without the '+') in
 * `digits`: the digits themselves when `whole` (a number's own are among
 * the words of its field already), its national significant number (the
 * digits after the country calling code: 601234567 of +420601234567)
 * and, where a national prefix is dialled before it, the national number
 * as dialled (0144556677 of +33144556677). A number of no known calling
 * code has none. The "00" dialled for a '+' is the query's to take off
 * (join_numbers): a word more a number would cost the index four
 * entries.
 */
static void number_forms(char *buf, size_t size, size_t *len,
			 const char *digits, int whole)
{
	const char *trunk, *nsn;
	char dialled[32];
	size_t cc, n;

	if (whole)
		put_word(buf, size, len, digits, strlen(digits));
	if (!(cc = rs_calling_code(digits, &trunk)))
		return;
	nsn = digits + cc;
	n = strlen(nsn);
	put_word(buf, size, len, nsn, n);
	if (!*trunk || strlen(trunk) + n >= sizeof(dialled))
		return;
	snprintf(dialled, sizeof(dialled), "%s%s", trunk, nsn);
	/* +1 202...: the national form is the international one */
	if (strcmp(dialled, digits) != 0)
		put_word(buf, size, len, dialled, strlen(dialled));
}

/*
 * A number is found as it is written in its country too: the national
 * forms of the phone and the lines (number_forms), " w1 w2 ...", made
 * when they are read (rs_user_texts) rather than kept with the user: a
 * number's forms would cost a user 25 bytes more each. A number kept
 * with the national prefix 0 after its country code (+330144556677:
 * typed "+33 01 44 55 66 77", or "+33 (0)1 ..." in a store written
 * before E.164 validation left a "(0)" out) has the forms of the number
 * without it too (+33144556677), as a query leaves a "(0)" out, so that
 * the text it was typed with finds it. A country whose national prefix
 * is 0 begins no national significant number with 0.
 */
size_t rs_user_number_words(const rs_user *u, char *buf, size_t size)
{
	size_t i, cc, len = 0;
	char plain[32];

	buf[0] = '\0';
	for (i = 0; i <= u->nlines; i++) {
		const char *v = i ? RS_LINE(u, i - 1)
				  : RS_STR(u, ROSTER_FIELD_PHONE);
		const char *trunk;

		/* kept as "+" and up to 15 digits (rs_valid_e164) */
		if (!v || v[0] != '+')
			continue;
		number_forms(buf, size, &len, v + 1, 0);
		cc = rs_calling_code(v + 1, &trunk);
		if (!cc || strcmp(trunk, "0") != 0 || v[1 + cc] != '0' ||
		    !v[2 + cc])
			continue;
		snprintf(plain, sizeof(plain), "%.*s%s", (int)cc, v + 1,
			 v + 2 + cc);
		number_forms(buf, size, &len, plain, 1);
	}
	return len;
}

int rs_user_search_keys(roster_directory *dir, rs_user *u)
{
	char stack[1024], *buf = stack, *words = NULL, *key = NULL;
	size_t cap = sizeof(stack), len, end[2], first, last;

	/* each field folded once: the names for the key, the others'
	 * words for the words, so that the names are kept once */
	if (fold_fields(dir, u, &buf, &cap, &len, end, stack) == 0 &&
	    joined_names(dir, u, &buf, &cap, &len, stack) == 0 &&
	    (words = rs_malloc(&dir->al, len - end[1] + 1)) &&
	    (key = rs_malloc(&dir->al, end[1] + 2))) {
		memcpy(words, buf + end[1], len - end[1]);
		words[len - end[1]] = '\0';
		/* "last\x01first": a shorter last name sorts first */
		first = end[0];
		last = end[1] - end[0];
		memcpy(key, buf + end[0], last);
		key[last] = '\x01';
		memcpy(key + last + 1, buf, first);
		key[last + 1 + first] = '\0';
	}
	if (buf != stack)
		rs_free(&dir->al, buf);
	if (!key) {
		/* the fields were validated: only memory can fail here */
		rs_free(&dir->al, words);
		return rs_nomem(dir);
	}
	rs_free(&dir->al, RS_W(u)->s[RS_S_WORDS]);
	rs_free(&dir->al, RS_W(u)->s[RS_S_SORTKEY]);
	RS_W(u)->s[RS_S_WORDS] = words;
	RS_W(u)->s[RS_S_SORTKEY] = key;
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */

int roster_query_new(roster_query **out)
{
	if (!out)
		return rs_error_tl(ROSTER_EINVAL, "out", "arg.null", NULL);
	if (!(*out = calloc(1, sizeof(**out))))
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	return ROSTER_OK;
}

static void clear_text(roster_query *q)
{
	size_t i;

	for (i = 0; i < q->nwords; i++)
		free(q->words[i]);
	free(q->text);
	q->text = NULL;
	q->nwords = 0;
}

void roster_query_clear(roster_query *q)
{
	size_t i;

	if (!q)
		return;
	clear_text(q);
	for (i = 0; i < 3; i++) {
		free(q->item[i]);
		q->item[i] = NULL;
	}
	q->props = 0;
	q->group = q->site = 0;
}

void roster_query_free(roster_query *q)
{
	roster_query_clear(q);
	free(q);
}

/* The bytes of the character at p: 1 for a byte that begins no valid
 * character (the text is checked once joined). */
static size_t char_at(const char *p)
{
	int unsafe;
	size_t n = rs_utf8_step(p, strnlen(p, 4), &unsafe);

	return n ? n : 1;
}

/* The bytes of a separator of a number's groups at p, 0 for none: the
 * punctuation of phone numbers, or a space of any kind (a number pasted
 * from a page is often printed with no-break spaces, U+00A0 or the
 * narrow U+202F). */
static size_t number_sep_at(const char *p)
{
	size_t n;

	if ((unsigned char)*p < 0x80)
		return *p && strchr(" \t.-()/", *p) ? 1 : 0;
	n = char_at(p);
	return rs_utf8_is_space(p, n) ? n : 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Does the character at p (n bytes) belong to a word? */
static int word_char(const char *p, size_t n)
{
	const unsigned char c = (unsigned char)*p;

	if (c < 0x80)
		return is_digit((char)c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
	return rs_utf8_is_word(p, n);
}

/* The bytes of a space at p (of any kind, as number_sep_at takes them),
 * 0 for none: spaces cut the text into its pieces. */
static size_t space_at(const char *p)
{
	size_t n;

	if ((unsigned char)*p < 0x80)
		return *p == ' ' || *p == '\t' ? 1 : 0;
	n = char_at(p);
	return rs_utf8_is_space(p, n) ? n : 0;
}

/* Does the piece of text at p, up to the next space, hold a letter, or
 * the '@' or '_' of a login? A piece that does is words glued by
 * punctuation ("2nd", a login as it is written: "john.2024.01@acme",
 * "2024.01@"), not a number's. */
static int piece_has_letter(const char *p)
{
	while (*p && !space_at(p)) {
		size_t n = (unsigned char)*p < 0x80 ? 1 : char_at(p);

		if (*p == '@' || *p == '_' ||
		    (!is_digit(*p) && word_char(p, n)))
			return 1;
		p += n;
	}
	return 0;
}

/*
 * A phone number as it is written is one number: from a '+' or a group
 * of digits that begins a piece of text holding no letter (the text
 * between two spaces), the groups of digits that follow it through
 * spaces and the punctuation of phone numbers (". - ( ) /") are joined,
 * as a user's numbers are stored, so that "+420 601 234 567", "00420 601
 * 234 567", "601 234 567" or "01 44 55 66 77" begins the user's digits
 * (or the national number, search_index.c) instead of asking for four
 * words; a group in a piece holding a letter ("2nd", a login typed as it
 * is written, "john.2024.01@acme") ends the number, and such a piece
 * joins nothing, so that its words are those of the user's login. The
 * "(0)" written after a country code whose country dials 0 for a national
 * number ("+33 (0)1 44", "0033 (0)1 44") is not dialled and is left out,
 * as a phone's setter leaves it out (rs_dials_zero), and so is the "00"
 * dialled for a '+' when two digits or more follow it and begin with a
 * country calling code ("0033 1 44", "00420"), so that "007" stays a word
 * of digits. The text only loses bytes: `out` holds strlen(in) + 1.
 */
static void join_numbers(const char *in, char *out)
{
	const char *p = in, *q, *trunk;
	char *o = out, *start, *code;
	int letter = piece_has_letter(p); /* the piece at p holds one */
	int digit = 0; /* a digit comes before p in its piece */

	while (*p) {
		const int plus = *p == '+' && is_digit(p[1]);
		size_t n, s;
		int spaced, intl;

		if (letter || digit || (!plus && !is_digit(*p))) {
			n = (unsigned char)*p < 0x80 ? 1 : char_at(p);
			if (space_at(p)) {
				letter = piece_has_letter(p + n);
				digit = 0;
			} else if (is_digit(*p)) {
				digit = 1;
			}
			memcpy(o, p, n);
			o += n;
			p += n;
			continue;
		}
		/* from a '+' or the "00" dialled for it ("00420"), an
		 * international number */
		intl = plus || (p[0] == '0' && p[1] == '0' && p[2] >= '1' &&
				p[2] <= '9');
		start = o;
		if (plus)
			*o++ = *p++;
		/* the digits after the '+' or the "00" */
		code = start + (plus ? 1 : 2);
		for (;;) {
			while (is_digit(*p))
				*o++ = *p++;
			spaced = 0;
			for (q = p; (s = number_sep_at(q)) != 0; q += s) {
				spaced |= space_at(q) != 0;
				if (intl && q[0] == '(' && q[1] == '0' &&
				    q[2] == ')' &&
				    rs_dials_zero(code, (size_t)(o - code)))
					q += 2; /* "+33 (0)1": not dialled */
			}
			/* a group goes on the number unless a space puts it
			 * in a piece holding a letter ("4711 2nd") */
			if (q == p || !is_digit(*q) ||
			    (spaced && piece_has_letter(q)))
				break;
			p = q;
		}
		*o = '\0';
		if (intl && !plus && o - start >= 4 &&
		    rs_calling_code(start + 2, &trunk)) {
			memmove(start, start + 2, (size_t)(o - start) - 2);
			o -= 2;
		}
		digit = 1;
	}
	*o = '\0';
}

int roster_query_set_text(roster_query *q, const char *text)
{
	roster_query next;
	rs_alloc libc;
	char joined[ROSTER_QUERY_MAX + 1], *w = NULL, *p, *save = NULL;
	int rc;

	if (!q)
		return rs_error_tl(ROSTER_EINVAL, "query", "arg.null", NULL);
	if (!text || !*text) {
		clear_text(q);
		return ROSTER_OK;
	}
	if (strnlen(text, ROSTER_QUERY_MAX + 1) > ROSTER_QUERY_MAX)
		return rs_error_tl_limit(ROSTER_EINVALID, "query", "text.bytes",
					 NULL, ROSTER_QUERY_MAX);
	rs_alloc_setup(&libc, NULL); /* a query belongs to no directory */
	join_numbers(text, joined);
	if ((rc = rs_text_words(&libc, joined, &w)))
		return rc == -1 ? rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL)
				: rs_error_tl(ROSTER_EINVALID, "query",
					      "text.utf8", NULL);
	memset(&next, 0, sizeof(next));
	if (!(next.text = strdup(text)))
		goto nomem;
	for (p = strtok_r(w, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
		/* kept with its leading space: " word" begins a word */
		size_t n = strlen(p), i;
		char *s;

		/* a word typed twice asks nothing more */
		for (i = 0; i < next.nwords && strcmp(next.words[i] + 1, p); i++)
			;
		if (i < next.nwords)
			continue;
		if (next.nwords == WORDS_MAX) {
			free(w);
			clear_text(&next);
			return rs_error_tl_limit(ROSTER_EINVALID, "query",
						 "query.words", NULL,
						 WORDS_MAX);
		}
		if (!(s = malloc(n + 2)))
			goto nomem;
		s[0] = ' ';
		memcpy(s + 1, p, n + 1);
		next.words[next.nwords++] = s;
	}
	free(w);
	clear_text(q);
	q->text = next.text;
	memcpy(q->words, next.words, sizeof(q->words));
	q->nwords = next.nwords;
	return ROSTER_OK;
nomem:
	free(w);
	clear_text(&next);
	return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
}

int roster_query_filter(roster_query *q, int filter)
{
	char v[24];

	if (!q)
		return rs_error_tl(ROSTER_EINVAL, "query", "arg.null", NULL);
	if (filter < ROSTER_FILTER_ADMINS || filter > ROSTER_FILTER_IOT) {
		snprintf(v, sizeof(v), "%d", filter);
		return rs_error_tl(ROSTER_EINVAL, "filter", "arg.range", v);
	}
	q->props |= 1u << filter;
	return ROSTER_OK;
}

int roster_query_item(roster_query *q, int kind, const char *id)
{
	int slot = kind == ROSTER_ITEM_LICENCE ? 0
		   : kind == ROSTER_ITEM_PACK  ? 1
		   : kind == ROSTER_ITEM_PRODUCT ? 2
						 : -1;
	char v[24], *copy = NULL;

	if (!q)
		return rs_error_tl(ROSTER_EINVAL, "query", "arg.null", NULL);
	if (slot < 0) {
		snprintf(v, sizeof(v), "%d", kind);
		return rs_error_tl(ROSTER_EINVAL, "kind", "arg.range", v);
	}
	if (id && rs_valid_item_id(id))
		return rs_error_tl(ROSTER_EINVALID, "id", "item.syntax", id);
	if (id && !(copy = strdup(id)))
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	free(q->item[slot]);
	q->item[slot] = copy;
	return ROSTER_OK;
}

int roster_query_ref(roster_query *q, int field, roster_id id)
{
	char v[24];

	if (!q)
		return rs_error_tl(ROSTER_EINVAL, "query", "arg.null", NULL);
	if (field == ROSTER_FIELD_GROUP)
		q->group = id;
	else if (field == ROSTER_FIELD_SITE)
		q->site = id;
	else {
		snprintf(v, sizeof(v), "%d", field);
		return rs_error_tl(ROSTER_EINVAL, "field", "arg.range", v);
	}
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* Matching                                                            */

unsigned rs_user_filters(const rs_user *u)
{
	static const struct { int filter, field, want; } props[] = {
		{ ROSTER_FILTER_ADMINS, ROSTER_FIELD_ADMIN, 1 },
		{ ROSTER_FILTER_REGISTERED, ROSTER_FIELD_REGISTERED, 1 },
		{ ROSTER_FILTER_UNREGISTERED, ROSTER_FIELD_REGISTERED, 0 },
		{ ROSTER_FILTER_CLOUD, ROSTER_FIELD_CLOUD, 1 },
		{ ROSTER_FILTER_IOT, ROSTER_FIELD_IOT, 1 },
	};
	unsigned passed = 0;
	size_t i;

	for (i = 0; i < sizeof(props) / sizeof(props[0]); i++)
		if (RS_FLAG(u, props[i].field) == props[i].want)
			passed |= 1u << props[i].filter;
	if (RS_REF(u, ROSTER_FIELD_PBX))
		passed |= 1u << ROSTER_FILTER_PBX_USERS;
	return passed;
}

/* Does `u`, which is in every list of the query (each_match: its words'
 * prefixes, its values) and passed its boolean filters, have the whole
 * of each word, longer than a prefix? */
static int matches(const roster_query *q, const rs_user *u)
{
	size_t i;

	for (i = 0; i < q->nwords; i++)
		if (!rs_user_has_word(u, q->words[i]))
			return 0;
	return 1;
}

/*
 * A cursor: "c", the account, the key in hex and the user, each after a
 * dot but the first, in hex; then a dot and the CRC-32 of all before it,
 * 8 hex digits, so that a cursor cut short (in its user's id, where what
 * is left would still read) or altered is refused, never taken for
 * another place.
 */
#define CURSOR_CHECK 9 /* ".xxxxxxxx" */

static uint32_t cursor_check(const char *c, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)c,
			       (uInt)n);
}

static char *make_cursor(roster_directory *dir, const rs_user *u)
{
	size_t n = strlen(RS_SORTKEY(u)), i;
	char *c = rs_calloc(&dir->al, 2 * n + 40 + CURSOR_CHECK, 1), *p;

	if (!c)
		return NULL;
	p = c + sprintf(c, "c%llx.", (unsigned long long)u->base.parent);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%02x", (unsigned char)RS_SORTKEY(u)[i]);
	p += sprintf(p, ".%llx", (unsigned long long)u->base.id);
	sprintf(p, ".%08x", (unsigned)cursor_check(c, (size_t)(p - c)));
	return c;
}

static int parse_hex_id(const char *s, size_t n, roster_id *out)
{
	size_t i;

	if (!n || n > 16)
		return -1;
	*out = 0;
	for (i = 0; i < n; i++) {
		int d = rs_hex_digit(s[i]);
		if (d < 0)
			return -1;
		*out = *out << 4 | (unsigned)d;
	}
	return 0;
}

/* The longest sort key a cursor may carry: two names of 100 characters,
 * each folded into at most 18 code points of 4 bytes, and their marks. */
#define CURSOR_KEY_MAX (2 * 100 * 18 * 4 + 8)

typedef struct cursor {
	roster_id account, id;
	char *key; /* CURSOR_KEY_MAX + 1 bytes */
} cursor;

/* -1 when malformed, -2 out of memory; out->key (allocated) is then
 * freed. */
static int parse_cursor(roster_directory *dir, const char *c, cursor *out)
{
	size_t len = strlen(c), n;
	const char *end = c + len - (len > CURSOR_CHECK ? CURSOR_CHECK : 0);
	const char *k, *d;
	roster_id check;

	out->key = NULL;
	if (len <= CURSOR_CHECK || end[0] != '.' ||
	    parse_hex_id(end + 1, CURSOR_CHECK - 1, &check) ||
	    check != cursor_check(c, (size_t)(end - c)))
		return -1;
	if (c[0] != 'c' || !(k = strchr(c, '.')) || k >= end ||
	    !(d = strchr(k + 1, '.')) || d >= end ||
	    parse_hex_id(c + 1, (size_t)(k - c - 1), &out->account) ||
	    parse_hex_id(d + 1, (size_t)(end - d - 1), &out->id))
		return -1;
	n = (size_t)(d - k - 1);
	if (n % 2 || n / 2 > CURSOR_KEY_MAX)
		return -1;
	if (!(out->key = rs_malloc(&dir->al, n / 2 + 1)))
		return -2;
	/* a key holds no NUL byte */
	if (rs_hex_bytes(k + 1, (unsigned char *)out->key, n / 2) ||
	    memchr(out->key, '\0', n / 2)) {
		rs_free(&dir->al, out->key);
		out->key = NULL;
		return -1;
	}
	out->key[n / 2] = '\0';
	return 0;
}

/* The label ranges the actor searches, in listing order: one account, all
 * of them (the system), or a partner's accounts by identifier. */
typedef struct ranges {
	uint64_t (*r)[2];
	size_t n;
} ranges;

static int add_range(roster_directory *dir, ranges *out, uint64_t lo,
		     uint64_t hi)
{
	uint64_t(*r)[2] = rs_reallocarray(&dir->al, out->r, out->n + 1,
					  sizeof(*r));

	if (!r)
		return rs_nomem(dir);
	out->r = r;
	out->r[out->n][0] = lo;
	out->r[out->n++][1] = hi;
	return ROSTER_OK;
}

static int scope(roster_directory *dir, const rs_who *who, roster_id account,
		 ranges *out)
{
	const rs_idvec *accs;
	const rs_rec *p;
	uint64_t lo, hi;
	size_t i;
	int rc;

	if (account) {
		const rs_unit *acc = (const rs_unit *)rs_get_kind(
			dir, account, ROSTER_KIND_ACCOUNT);
		if (!acc)
			return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
					  "record.notfound", account);
		if ((rc = rs_authz_account(dir, who, account, RS_MANAGE_USERS)))
			return rc;
		rs_sindex_account_range(acc, &lo, &hi);
		return add_range(dir, out, lo, hi);
	}
	if (who->kind == ROSTER_ACTOR_SYSTEM)
		return add_range(dir, out, 0, UINT64_MAX);
	if (who->kind != ROSTER_ACTOR_PARTNER)
		return rs_fail(dir, ROSTER_EDENIED, "account", "auth.scope",
			       NULL);
	/* a partner: its accounts, in identifier order */
	p = rs_get_kind(dir, who->id, ROSTER_KIND_PARTNER);
	accs = p ? &RS_MEMBERS(p)->accounts : NULL;
	if (!accs || !accs->len)
		return ROSTER_OK;
	if (!(out->r = rs_calloc(&dir->al, accs->len, sizeof(*out->r))))
		return rs_nomem(dir);
	for (i = 0; i < accs->len; i++, out->n++)
		rs_sindex_account_range(
			(const rs_unit *)rs_get(dir, accs->ids[i]),
			&out->r[out->n][0], &out->r[out->n][1]);
	return ROSTER_OK;
}

/* A search under way: the lists it walks and what it checks. */
typedef struct walk {
	const rs_sindex *x;
	const rs_plist *list; /* the shortest; NULL: nothing can match */
	/* the other lists every match is in, each with its position: the
	 * words', a filter's, an item's of each kind, a group's, a site's */
	const rs_plist *others[WORDS_MAX + 6];
	rs_pos at[WORDS_MAX + 6];
	size_t nothers;
	/* the inverted lists of the words and filters: no match is in one */
	const rs_plist *anti[WORDS_MAX + 6];
	rs_pos anti_at[WORDS_MAX + 6];
	size_t nanti;
	unsigned props; /* filters checked in the entries of the list walked */
	const roster_query *q;
	int exact; /* passing lists and filters is matching: no user read */
} walk;

/* Add a list to a set of them, once. */
static void add_list(const rs_plist **set, size_t *n, const rs_plist *l)
{
	size_t i;

	for (i = 0; i < *n && set[i] != l; i++)
		;
	if (i == *n)
		set[(*n)++] = l;
}

/* Add the list of a word or filter (NULL: nothing matches); an inverted
 * one lists the users that do not match. */
static int take(walk *w, const rs_plist *l)
{
	if (!l) {
		w->list = NULL;
		return 0;
	}
	if (l->inv)
		add_list(w->anti, &w->nanti, l);
	else
		add_list(w->others, &w->nothers, l);
	return 1;
}

/*
 * The lists of the query's words: each user matching a word is in the
 * list of the word's prefix; and those of the licence, pack, product
 * licence, group and site asked for. The shortest is walked, the others
 * followed alongside it in label order. The boolean filters are checked
 * in the entries of the list walked, which hold them; with no word, the
 * shortest filter's list is taken too (every user's for no list at all).
 * A user in all of these lists and passing the filters matches unless a
 * word is longer than the lists index, which only the user says.
 */
static void plan(const roster_directory *dir, const roster_query *q, walk *w)
{
	static const int kinds[3] = { ROSTER_ITEM_LICENCE, ROSTER_ITEM_PACK,
				      ROSTER_ITEM_PRODUCT };
	const rs_plist *fl = NULL, *l;
	size_t i, best = 0;
	int f, longer = 0;

	w->x = dir->sindex;
	w->q = q;
	w->list = w->x->all;
	w->nothers = 0;
	w->nanti = 0;
	w->props = q->props;
	w->exact = 0;
	for (i = 0; i < q->nwords; i++) {
		longer |= rs_sindex_longer(q->words[i] + 1);
		if (!take(w, rs_sindex_list(w->x, q->words[i] + 1)))
			return;
	}
	for (i = 0; i < 3; i++)
		if (q->item[i] &&
		    !take(w, rs_sindex_item_list(w->x, kinds[i], q->item[i])))
			return;
	if ((q->group && !take(w, rs_sindex_ref_list(w->x, ROSTER_FIELD_GROUP,
						     q->group))) ||
	    (q->site &&
	     !take(w, rs_sindex_ref_list(w->x, ROSTER_FIELD_SITE, q->site))))
		return;
	for (f = 0; q->props >> f; f++) {
		if (!((q->props >> f) & 1))
			continue;
		if (!(l = rs_sindex_filter_list(w->x, f))) {
			w->list = NULL; /* nobody passes it */
			return;
		}
		/* one most users pass is not worth walking: the entries of
		 * the list walked are checked for it */
		if (!l->inv && (!fl || l->total < fl->total))
			fl = l;
	}
	if (!q->nwords && fl) {
		take(w, fl);
		/* the one filter is a list the walk follows or walks */
		if (!(q->props & (q->props - 1)))
			w->props = 0;
	}
	w->exact = !longer;
	if (!w->nothers)
		return;
	for (i = 1; i < w->nothers; i++)
		if (w->others[i]->total < w->others[best]->total)
			best = i;
	w->list = w->others[best];
	w->others[best] = w->others[--w->nothers];
}

/* Is the slot in each of the other lists and in no inverted one? Moves
 * their positions up to the slot's label, which only grows along the
 * walk. When it is not, *skip is the label the next candidate has at
 * least (UINT64_MAX: none is left), from the list that lacked the slot,
 * or the next label for an inverted list that held it. */
static int in_others(walk *w, uint32_t slot, uint64_t *skip)
{
	uint64_t label = w->x->key[slot].label;
	uint32_t at;
	size_t i;

	for (i = 0; i < w->nothers; i++) {
		rs_plist_advance(w->x, w->others[i], &w->at[i], label);
		if ((at = rs_plist_at(w->others[i], w->at[i])) != slot) {
			*skip = at == UINT32_MAX ? UINT64_MAX
						 : w->x->key[at].label;
			return 0;
		}
	}
	for (i = 0; i < w->nanti; i++) {
		rs_plist_advance(w->x, w->anti[i], &w->anti_at[i], label);
		if (rs_plist_at(w->anti[i], w->anti_at[i]) == slot) {
			*skip = label + 1;
			return 0;
		}
	}
	return 1;
}

static int before(rs_pos a, rs_pos b)
{
	return a.seg < b.seg || (a.seg == b.seg && a.off < b.off);
}

/*
 * Call fn for each matching user in listing order, from the start of each
 * range or after the cursor, until fn returns non-zero. The filters are
 * found in the entries of the list walked (rs_plist_find), without reading
 * the labels of the users failing them.
 */
static void each_match(const roster_directory *dir, walk *w,
		       const ranges *sc, const cursor *after,
		       int (*fn)(void *, const rs_sindex *, uint32_t),
		       void *ctx)
{
	rs_pos from = { 0, 0 };
	size_t i, j;

	if (!w->list)
		return;
	if (after) {
		const rs_rec *acc = rs_get_kind(dir, after->account,
						ROSTER_KIND_ACCOUNT);
		from = rs_plist_seek_after(w->x, w->list, after->account,
					   acc ? RS_MEMBERS(acc)->order : 0,
					   after->key, after->id);
	}
	for (i = 0; i < sc->n; i++) {
		rs_pos p = rs_plist_seek(w->x, w->list, sc->r[i][0]);
		uint32_t e, slot;
		if (after && before(p, from))
			p = from;
		for (j = 0; j < w->nothers; j++)
			w->at[j] = rs_plist_seek(w->x, w->others[j],
						 sc->r[i][0]);
		for (j = 0; j < w->nanti; j++)
			w->anti_at[j] = rs_plist_seek(w->x, w->anti[j],
						      sc->r[i][0]);
		while ((e = rs_plist_find(w->x, w->list, &p, w->props,
					  sc->r[i][1])) != RS_NO_ENTRY) {
			uint64_t skip;
			slot = rs_entry_slot(e);
			if (w->x->key[slot].label >= sc->r[i][1])
				break;
			/* leapfrog: past what another list lacks */
			if (!in_others(w, slot, &skip)) {
				if (skip >= sc->r[i][1])
					break;
				rs_plist_advance(w->x, w->list, &p, skip);
				continue;
			}
			rs_plist_next(w->list, &p);
			/* an exact walk reads no user */
			if ((w->exact || matches(w->q, w->x->users[slot])) &&
			    fn(ctx, w->x, slot))
				return;
		}
	}
}

typedef struct page_ctx {
	roster_id *ids;
	size_t n, limit;
	uint32_t last; /* the slot of the last user of the page */
	int more;      /* one more matches after it */
} page_ctx;

static int add_to_page(void *ctx, const rs_sindex *x, uint32_t slot)
{
	page_ctx *c = ctx;

	if (c->n == c->limit) {
		c->more = 1;
		return 1;
	}
	c->ids[c->n++] = x->key[slot].id;
	c->last = slot;
	return 0;
}

static int count_one(void *ctx, const rs_sindex *x, uint32_t slot)
{
	(void)x;
	(void)slot;
	++*(size_t *)ctx;
	return 0;
}

/* Does a user hold the item? One the catalog dropped stays with its
 * holders (roster_directory_set_catalog), who are to be found to take it
 * back. An item's list is never inverted; an emptied one may linger. */
static int held(const rs_sindex *x, int kind, const char *id)
{
	const rs_plist *l = rs_sindex_item_list(x, kind, id);

	return l && l->total;
}

/*
 * A filter naming what does not exist is a mistake to tell, not a search
 * that finds nobody: a catalog item the catalog lacks and nobody holds,
 * a group or site that is none (a deleted one included).
 * ROSTER_ENOTFOUND, the filter's field; 0 when each exists.
 */
static int check_filters(roster_directory *dir, const roster_query *q)
{
	static const struct {
		int kind;
		const char *field, *rule;
	} items[3] = {
		{ ROSTER_ITEM_LICENCE, "licence", "licence.unknown" },
		{ ROSTER_ITEM_PACK, "pack", "pack.unknown" },
		{ ROSTER_ITEM_PRODUCT, "product", "product.unknown" },
	};
	const roster_catalog *cat;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!q->item[i])
			continue;
		if (!(cat = rs_catalog(dir)))
			return dir->err.code;
		if (rs_catalog_find(cat, items[i].kind, q->item[i]) == RS_NONE &&
		    !held(dir->sindex, items[i].kind, q->item[i]))
			return rs_fail(dir, ROSTER_ENOTFOUND, items[i].field,
				       items[i].rule, q->item[i]);
	}
	if (q->group && !rs_get_kind(dir, q->group, ROSTER_KIND_GROUP))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "group",
				  "record.notfound", q->group);
	if (q->site && !rs_get_kind(dir, q->site, ROSTER_KIND_SITE))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "site",
				  "record.notfound", q->site);
	return ROSTER_OK;
}

/* Resolve the actor, its scope and the plan of a query. */
static int prepare(roster_directory *dir, const roster_actor *actor,
		   roster_id account, const roster_query *q, ranges *sc,
		   walk *w)
{
	rs_who who;
	int rc;

	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!q)
		return rs_fail(dir, ROSTER_EINVAL, "query", "arg.null", NULL);
	if ((rc = scope(dir, &who, account, sc)) ||
	    (rc = check_filters(dir, q)))
		return rc;
	plan(dir, q, w);
	return ROSTER_OK;
}

int roster_search(roster_page **out, roster_directory *dir,
		  const roster_actor *actor, roster_id account,
		  const roster_query *q, const char *cursor_text, size_t limit)
{
	ranges sc = { NULL, 0 };
	page_ctx pc = { NULL, 0, 0, 0, 0 };
	cursor cur = { 0, 0, NULL };
	char *next = NULL;
	walk w;
	int rc;

	if ((rc = rs_page_enter(dir, out, limit)))
		return rc;
	/* a cursor of another account's listing is no place in this one */
	if (cursor_text && ((rc = parse_cursor(dir, cursor_text, &cur)) ||
			    (account && cur.account != account))) {
		rs_free(&dir->al, cur.key);
		return rc == -2 ? rs_nomem(dir)
				: rs_fail(dir, ROSTER_EINVAL, "cursor",
					  "arg.cursor", cursor_text);
	}
	if ((rc = prepare(dir, actor, account, q, &sc, &w)))
		goto done;
	if (!(pc.ids = rs_calloc(&dir->al, limit, sizeof(*pc.ids)))) {
		rc = rs_nomem(dir);
		goto done;
	}
	pc.limit = limit;
	each_match(dir, &w, &sc, cursor_text ? &cur : NULL, add_to_page, &pc);
	if (pc.more && !(next = make_cursor(dir, w.x->users[pc.last])))
		rc = rs_nomem(dir);
	if (!rc)
		rc = rs_page_of(dir, pc.ids, pc.n, out);
	if (!rc && (rc = rs_page_set_next(dir, *out, next,
					  ROSTER_TOTAL_UNKNOWN))) {
		roster_page_free(*out);
		*out = NULL;
	}
done:
	rs_free(&dir->al, cur.key);
	rs_free(&dir->al, next);
	rs_free(&dir->al, pc.ids);
	rs_free(&dir->al, sc.r);
	return rc;
}

/* The entries of a list in a label range. */
static size_t span(const walk *w, const rs_plist *l, const uint64_t r[2])
{
	return rs_plist_rank(l, rs_plist_seek(w->x, l, r[1])) -
	       rs_plist_rank(l, rs_plist_seek(w->x, l, r[0]));
}

int roster_search_count(size_t *out, roster_directory *dir,
			const roster_actor *actor, roster_id account,
			const roster_query *q)
{
	ranges sc = { NULL, 0 };
	size_t n = 0, i;
	walk w;
	int rc;

	if (out)
		*out = 0;
	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	if ((rc = prepare(dir, actor, account, q, &sc, &w)))
		goto done;
	if (w.list && w.exact && !w.nothers && !w.props &&
	    (!w.nanti || (w.nanti == 1 && w.list == w.x->all))) {
		/* every listed user in range matches, but those of an
		 * inverted list (each in every user's): count by position */
		for (i = 0; i < sc.n; i++) {
			n += span(&w, w.list, sc.r[i]);
			if (w.nanti)
				n -= span(&w, w.anti[0], sc.r[i]);
		}
	} else {
		each_match(dir, &w, &sc, NULL, count_one, &n);
	}
	*out = n;
done:
	rs_free(&dir->al, sc.r);
	return rc;
}
