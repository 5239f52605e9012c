/* text.c: UTF-8 validation and normalisation through utf8proc. */
#include "text.h"

#include <string.h>
#include <utf8proc.h>

const unsigned char rs_hex_values[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

int rs_hex_bytes(const char *s, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = rs_hex_digit(s[2 * i]), lo = rs_hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int rs_utf8_valid(const char *s, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;

	while (len > 0) {
		utf8proc_ssize_t n;

		if (*p < 0x80) { /* ASCII is valid as it is */
			p++;
			len--;
			continue;
		}
		n = utf8proc_iterate(p, (utf8proc_ssize_t)len, &c);
		if (n <= 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

size_t rs_utf8_step(const char *s, size_t len, int *unsafe)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s,
					      (utf8proc_ssize_t)len, &c);
	utf8proc_category_t cat;

	if (n <= 0)
		return 0;
	cat = utf8proc_category(c);
	*unsafe = cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_ZL ||
		  cat == UTF8PROC_CATEGORY_ZP || cat == UTF8PROC_CATEGORY_CF;
	return (size_t)n;
}

size_t rs_utf8_shown(const char *s, size_t len, int *escaped)
{
	size_t n;

	*escaped = 0;
	n = rs_utf8_step(s, len, escaped);
	if (n == 0) {
		*escaped = 1;
		return 1;
	}
	return n;
}

size_t rs_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static int is_space(utf8proc_int32_t c)
{
	const utf8proc_property_t *p;

	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0B ||
	    c == 0x0C || c == 0x85)
		return 1;
	p = utf8proc_get_property(c);
	return p->category == UTF8PROC_CATEGORY_ZS ||
	       p->category == UTF8PROC_CATEGORY_ZL ||
	       p->category == UTF8PROC_CATEGORY_ZP;
}

size_t rs_utf8_cut(const char *s, size_t max)
{
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

int rs_utf8_is_space(const char *s, size_t n)
{
	utf8proc_int32_t c;

	return utf8proc_iterate((const utf8proc_uint8_t *)s,
				(utf8proc_ssize_t)n, &c) > 0 &&
	       is_space(c);
}

/* A control character, or a noncharacter (U+FDD0..U+FDEF and the last
 * two code points of each plane: not for interchange, and U+FFFE and
 * U+FFFF cannot be written in XML 1.0, so an export could not be read
 * back). */
static int is_control(utf8proc_int32_t c)
{
	return utf8proc_category(c) == UTF8PROC_CATEGORY_CC ||
	       (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
}

/* Scripts whose letters join (Arabic, Syriac, Mandaic, N'Ko, Mongolian,
 * Phags-pa, Manichaean, Psalter Pahlavi, Hanifi Rohingya, Sogdian, Adlam
 * and their extensions): a zero-width (non-)joiner between two of their
 * letters chooses a form. */
static int joining_script(utf8proc_int32_t c)
{
	return (c >= 0x0600 && c <= 0x08FF) || (c >= 0x1800 && c <= 0x18AF) ||
	       (c >= 0xA840 && c <= 0xA87F) || (c >= 0xFB50 && c <= 0xFDFF) ||
	       (c >= 0xFE70 && c <= 0xFEFF) ||
	       (c >= 0x10AC0 && c <= 0x10AFF) ||
	       (c >= 0x10B80 && c <= 0x10BAF) ||
	       (c >= 0x10D00 && c <= 0x10D3F) ||
	       (c >= 0x10F30 && c <= 0x10F6F) ||
	       (c >= 0x1E900 && c <= 0x1E95F);
}

/* A pictograph of an emoji sequence (Unicode's Extended_Pictographic,
 * ™ and 〽 included), or its presentation selector. */
static int pictograph(utf8proc_int32_t c)
{
	return utf8proc_get_property(c)->boundclass ==
		       UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC ||
	       c == 0xFE0F;
}

/* A Han ideograph (a variation selector may choose its glyph). */
static int ideograph(utf8proc_int32_t c)
{
	return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF);
}

/* An unassigned code point Unicode keeps invisible (Default_Ignorable):
 * one a later version may assign is taken, as utf8proc may be older than
 * the text (a name in CJK Extension I). */
static int reserved_ignorable(utf8proc_int32_t c)
{
	return c == 0x2065 || (c >= 0xFFF0 && c <= 0xFFF8) ||
	       (c >= 0xE0000 && c <= 0xE0FFF);
}

/* A Prepended_Concatenation_Mark: a format character that shows (an
 * Arabic number sign, the Syriac abbreviation mark). */
static int prepended_mark(utf8proc_int32_t c)
{
	return (c >= 0x0600 && c <= 0x0605) || c == 0x06DD || c == 0x070F ||
	       c == 0x0890 || c == 0x0891 || c == 0x08E2 || c == 0x110BD ||
	       c == 0x110CD;
}

static int virama(utf8proc_int32_t c)
{
	return utf8proc_get_property(c)->combining_class == 9;
}

/*
 * An invisible character at buf[i] (`prev` before it, 0 at the start):
 * it makes two names that look alike differ ("Pa\u200Bris"), hides from
 * search, or turns the text around it ("\u202E"). Refused as a control
 * character. That is every format character (Unicode Cf: bidi controls,
 * zero-width space, soft hyphen, byte order mark, tags), every default
 * ignorable code point (the combining grapheme joiner, the Hangul
 * fillers, variation selectors, the Khmer inherent vowels, and those not
 * assigned yet), but for the uses that writing needs:
 * - a zero-width non-joiner or joiner before or after a virama (Indic
 *   conjuncts and chillus: "ജോണ്\u200D", Bengali "র\u200D্যান"),
 *   between two letters of a joining script (Persian "می\u200Cخواهم"),
 *   a joiner between two pictographs (emoji sequences);
 * - the Mongolian vowel separator between, and its free variation
 *   selectors after, Mongolian letters;
 * - the emoji presentation selectors after a pictograph or in a keycap
 *   ("1\uFE0F\u20E3"), the other variation selectors after a Han
 *   ideograph;
 * - tags after a black flag (the flags of England, Scotland, Wales);
 * - the format characters that show (prepended_mark).
 */
static int is_hidden(const utf8proc_int32_t *buf, size_t i, size_t n,
		     utf8proc_int32_t prev)
{
	utf8proc_int32_t c = buf[i], next = i + 1 < n ? buf[i + 1] : 0;
	const utf8proc_property_t *p = utf8proc_get_property(c);

	if (p->category == UTF8PROC_CATEGORY_CN)
		return reserved_ignorable(c);
	if (!p->ignorable && p->category != UTF8PROC_CATEGORY_CF)
		return 0;
	if (prepended_mark(c))
		return 0;
	if (c == 0x200C || c == 0x200D)
		return !(virama(prev) || virama(next) ||
			 (joining_script(prev) && joining_script(next)) ||
			 (c == 0x200D && pictograph(prev) && pictograph(next)));
	if (c == 0x180E)
		return !(prev >= 0x1800 && prev <= 0x18AF && next >= 0x1800 &&
			 next <= 0x18AF);
	if ((c >= 0x180B && c <= 0x180D) || c == 0x180F)
		return !(prev >= 0x1800 && prev <= 0x18AF);
	if (c == 0xFE0E || c == 0xFE0F)
		return !(pictograph(prev) ||
			 (((prev >= '0' && prev <= '9') || prev == '#' ||
			   prev == '*') && next == 0x20E3));
	if ((c >= 0xFE00 && c <= 0xFE0D) || (c >= 0xE0100 && c <= 0xE01EF))
		return !ideograph(prev);
	if (c >= 0xE0020 && c <= 0xE007F)
		return !(prev == 0x1F3F4 || (prev >= 0xE0020 && prev < 0xE007F));
	return 1;
}

/* A character that shows alone: not a mark (which shows on another), a
 * joiner nor the braille blank. */
static int is_base(utf8proc_int32_t c)
{
	utf8proc_category_t cat = utf8proc_category(c);

	return cat != UTF8PROC_CATEGORY_MN && cat != UTF8PROC_CATEGORY_MC &&
	       cat != UTF8PROC_CATEGORY_ME && cat != UTF8PROC_CATEGORY_CF &&
	       c != 0x2800;
}

/* A line break of a text of several lines (RS_TEXT_MULTILINE): LF, CR
 * (alone: a CR before an LF is dropped, the LF breaks), NEL, LS, PS. */
static int is_break(uint32_t c)
{
	return c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 ||
	       c == 0x2029;
}

/* rs_text_clean through utf8proc, for any text. */
static enum rs_text_fault clean_full(const rs_alloc *al, const char *in,
				     size_t len, unsigned flags,
				     size_t max_chars, char **out)
{
	const utf8proc_option_t opts =
		UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		((flags & RS_TEXT_FOLD) ? UTF8PROC_CASEFOLD : 0);
	size_t i, w = 0;
	utf8proc_ssize_t n, m, bytes;
	utf8proc_int32_t *buf, prev = 0;
	int pending_space = 0, base = 0;
	size_t breaks = 0; /* line breaks met since the last character */
	char *res;

	n = utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, NULL, 0, opts);
	if (n < 0)
		return n == UTF8PROC_ERROR_NOMEM ? RS_TEXT_NOMEM : RS_TEXT_UTF8;
	buf = rs_calloc(al, (size_t)n + 1, sizeof(*buf));
	if (!buf)
		return RS_TEXT_NOMEM;
	m = utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, buf, n, opts);
	if (m != n) {
		rs_free(al, buf);
		return RS_TEXT_UTF8;
	}
	/* filter: trim, collapse white space, refuse control, format and
	 * noncharacters, and a text of marks alone */
	for (i = 0; i < (size_t)n; prev = buf[i++]) {
		utf8proc_int32_t c = buf[i];

		if ((flags & RS_TEXT_MULTILINE) && is_break((uint32_t)c)) {
			if (!(c == '\r' && i + 1 < (size_t)n && buf[i + 1] == '\n'))
				breaks++;
			pending_space = 0;
			continue;
		}
		if (is_space(c)) {
			if (!breaks)
				pending_space = 1;
			continue;
		}
		if (is_control(c) || (!(flags & RS_TEXT_STORED) &&
				      is_hidden(buf, i, (size_t)n, prev))) {
			rs_free(al, buf);
			return RS_TEXT_CONTROL;
		}
		if (w > 0 && breaks)
			for (; breaks; breaks--)
				buf[w++] = '\n';
		else if (w > 0 && pending_space)
			buf[w++] = ' ';
		pending_space = 0;
		breaks = 0;
		base |= is_base(c);
		buf[w++] = c;
	}
	if ((w == 0 && !(flags & RS_TEXT_ALLOW_EMPTY)) ||
	    (w > 0 && !base && !(flags & RS_TEXT_STORED))) {
		rs_free(al, buf);
		return RS_TEXT_EMPTY;
	}
	bytes = utf8proc_reencode(buf, (utf8proc_ssize_t)w, opts);
	if (bytes < 0) {
		rs_free(al, buf);
		return RS_TEXT_UTF8;
	}
	res = rs_strndup(al, (const char *)buf, (size_t)bytes);
	rs_free(al, buf);
	if (!res)
		return RS_TEXT_NOMEM;
	if (rs_utf8_chars(res) > max_chars) {
		rs_free(al, res);
		return RS_TEXT_LONG;
	}
	*out = res;
	return RS_TEXT_OK;
}

int rs_text_nfkc(const rs_alloc *al, const char *in, char **out)
{
	const utf8proc_option_t opts =
		UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
	size_t len = strlen(in), size;
	utf8proc_ssize_t n, bytes;
	utf8proc_int32_t *buf;

	*out = NULL;
	n = utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, NULL, 0, opts);
	if (n < 0)
		return n == UTF8PROC_ERROR_NOMEM ? -1 : -2;
	size = ((size_t)n + 1) * sizeof(*buf);
	if (!(buf = rs_calloc(al, (size_t)n + 1, sizeof(*buf))))
		return -1;
	if (utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, buf, n, opts) != n ||
	    (bytes = utf8proc_reencode(buf, n, opts)) < 0) {
		rs_free_wiped(al, buf, size);
		return -2;
	}
	*out = rs_strndup(al, (const char *)buf, (size_t)bytes);
	rs_free_wiped(al, buf, size);
	return *out ? 0 : -1;
}

/*
 * Text of ASCII and of two-byte characters below U+0300 (Latin-1, Latin
 * Extended-A and -B, IPA, spacing modifiers), the names of nearly every
 * user: there NFC changes nothing (no character has a combining class,
 * none decomposes into what composes otherwise) and the classes are
 * fixed, so the filter of clean_full runs on the bytes as they are.
 * tests/core/text.c holds every such character and pair to utf8proc.
 */
enum { LATIN_CHAR, LATIN_SPACE, LATIN_CONTROL };

static int latin_kind(unsigned c, unsigned flags)
{
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0B ||
	    c == 0x0C || c == 0x85 || c == 0xA0)
		return LATIN_SPACE;
	if (c < 0x20 || (c >= 0x7F && c < 0xA0))
		return LATIN_CONTROL;
	/* the soft hyphen, a format character (is_hidden) */
	if (c == 0xAD && !(flags & RS_TEXT_STORED))
		return LATIN_CONTROL;
	return LATIN_CHAR;
}

/*
 * The filter of clean_full on such text, into `res` (>= len + 1 bytes):
 * the fault, with *w bytes and *chars characters written; -1 when the
 * text is not of that kind (or is folded and not ASCII), for the full
 * path to decide. A control character is a fault only once the whole
 * text is known to be of that kind: invalid UTF-8 anywhere comes first.
 */
static int clean_latin(const char *in, size_t len, unsigned flags, char *res,
		       size_t *w, size_t *chars)
{
	const unsigned char *p = (const unsigned char *)in, *e = p + len;
	int pending_space = 0, fault = RS_TEXT_OK;
	size_t n = 0, k = 0, breaks = 0;

	for (; p < e; p += k) {
		unsigned c = *p;

		k = 1;
		if (c >= 0x80) {
			if (c < 0xC2 || c > 0xCB || p + 1 == e ||
			    (p[1] & 0xC0) != 0x80 || (flags & RS_TEXT_FOLD))
				return -1;
			c = (c & 0x1F) << 6 | (p[1] & 0x3F);
			k = 2;
		}
		if (fault)
			continue;
		if ((flags & RS_TEXT_MULTILINE) && is_break(c)) {
			if (!(c == '\r' && p + 1 < e && p[1] == '\n'))
				breaks++;
			pending_space = 0;
			continue;
		}
		switch (latin_kind(c, flags)) {
		case LATIN_SPACE:
			if (!breaks)
				pending_space = 1;
			continue;
		case LATIN_CONTROL:
			fault = RS_TEXT_CONTROL;
			continue;
		}
		if (n > 0 && breaks) {
			for (; breaks; breaks--) {
				res[(*w)++] = '\n';
				n++;
			}
		} else if (n > 0 && pending_space) {
			res[(*w)++] = ' ';
			n++;
		}
		pending_space = 0;
		breaks = 0;
		if (k == 2) {
			res[(*w)++] = (char)p[0];
			res[(*w)++] = (char)p[1];
		} else {
			res[(*w)++] = (flags & RS_TEXT_FOLD) && c >= 'A' &&
						      c <= 'Z'
					      ? (char)(c + 32)
					      : (char)c;
		}
		n++;
	}
	*chars = n;
	return fault;
}

enum rs_text_fault rs_text_clean(const rs_alloc *al, const char *in,
				 unsigned flags, size_t max_chars, char **out)
{
	size_t len = strlen(in), w = 0, chars = 0, head = 0, tail = len;
	char stack[512], *tmp = stack, *res;
	int f;

	*out = NULL;
	/* refuse absurd sizes before any work: no character takes > 16 bytes
	 * of combining sequence in real text. The blanks around the value,
	 * which cleaning trims (a fixed-width column's padding), count for
	 * nothing. */
	if (len > RS_TEXT_BYTES_MAX)
		return RS_TEXT_LONG;
	while (head < len && strchr(" \t\r\n", in[head]))
		head++;
	while (tail > head && strchr(" \t\r\n", in[tail - 1]))
		tail--;
	if ((tail - head) / 16 > max_chars)
		return RS_TEXT_LONG;
	if (len >= sizeof(stack) && !(tmp = rs_malloc(al, len + 1)))
		return RS_TEXT_NOMEM;
	f = clean_latin(in, len, flags, tmp, &w, &chars);
	if (f < 0) {
		if (tmp != stack)
			rs_free(al, tmp);
		return clean_full(al, in, len, flags, max_chars, out);
	}
	if (f == RS_TEXT_OK && chars == 0 && !(flags & RS_TEXT_ALLOW_EMPTY))
		f = RS_TEXT_EMPTY;
	res = f == RS_TEXT_OK ? rs_strndup(al, tmp, w) : NULL;
	if (tmp != stack)
		rs_free(al, tmp);
	if (f != RS_TEXT_OK)
		return (enum rs_text_fault)f;
	if (!res)
		return RS_TEXT_NOMEM;
	if (chars > max_chars) {
		rs_free(al, res);
		return RS_TEXT_LONG;
	}
	*out = res;
	return RS_TEXT_OK;
}

/* A letter or a digit; but U+02BC, a modifier letter, is the apostrophe
 * of names (Oʼneil) as ' and U+2019 are, which are not letters: a name
 * is split there whichever of the three it is written with, and found by
 * the same words (search.h). */
static int is_word(utf8proc_int32_t c)
{
	utf8proc_category_t cat = utf8proc_category(c);

	if (c == 0x02BC)
		return 0;
	return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
	       (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

int rs_utf8_is_word(const char *s, size_t n)
{
	utf8proc_int32_t c;

	return utf8proc_iterate((const utf8proc_uint8_t *)s,
				(utf8proc_ssize_t)n, &c) > 0 &&
	       is_word(c);
}

/* Compatibility decomposition too: a full-width "Ｍａｒｉｅ" or "ǅ" is
 * found by "marie" or "dž" */
#define WORDS_OPTS                                                      \
	(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |       \
	 UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK)

/*
 * Letters utf8proc leaves as they are, having no decomposition into a
 * plain letter and a mark, written as a reader who types them without
 * their mark writes them:
 *  - the dotless ı, which the default case folding keeps apart from i
 *    ("I" folds to i): "YILMAZ" finds "Yılmaz";
 *  - the Latin letters with a stroke or bar (ł ø đ ħ ŧ, and ð), as their
 *    plain letter: "lukasz" finds "Łukasz", "oyvind" "Øyvind";
 *  - the ligatures æ œ and the thorn þ as two letters: "laetitia" finds
 *    "Lætitia".
 * They come after case folding, so lower case only. The text is written
 * to dst (at most 4 bytes, as any code point); returns its length.
 */
static size_t fold_put(utf8proc_int32_t c, char *dst)
{
	static const struct {
		utf8proc_int32_t c;
		char s[3];
	} plain[] = {
		{ 0x00E6, "ae" }, { 0x00F0, "d" }, { 0x00F8, "o" },
		{ 0x00FE, "th" }, { 0x0111, "d" }, { 0x0127, "h" },
		{ 0x0131, "i" },  { 0x0142, "l" }, { 0x0153, "oe" },
		{ 0x0167, "t" },
	};
	size_t i;

	if (c >= 0xE6 && c <= 0x167)
		for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
			if (plain[i].c == c) {
				size_t n = strlen(plain[i].s);

				memcpy(dst, plain[i].s, n);
				return n;
			}
	return (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)dst);
}

/* rs_text_words through utf8proc in one piece, for any text. */
static int words_full(const rs_alloc *al, const char *in, size_t len,
		      char **out)
{
	const utf8proc_option_t opts = WORDS_OPTS;
	size_t i, w = 0;
	utf8proc_ssize_t n;
	utf8proc_int32_t *buf;
	int in_word = 0;
	char *res;

	n = utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, NULL, 0, opts);
	if (n < 0)
		return n == UTF8PROC_ERROR_NOMEM ? -1 : -2;
	buf = rs_calloc(al, (size_t)n + 1, sizeof(*buf));
	/* each code point is at most 4 bytes, plus a space before each word */
	res = buf ? rs_calloc(al, (size_t)n * 5 + 2, 1) : NULL;
	if (!res) {
		rs_free(al, buf);
		return -1;
	}
	if (utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, buf, n, opts) != n) {
		rs_free(al, buf);
		rs_free(al, res);
		return -2;
	}
	for (i = 0; i < (size_t)n; i++) {
		if (!is_word(buf[i])) {
			in_word = 0;
			continue;
		}
		if (!in_word)
			res[w++] = ' ';
		in_word = 1;
		w += fold_put(buf[i], res + w);
	}
	res[w] = '\0';
	rs_free(al, buf);
	*out = res;
	return 0;
}

/*
 * The same words, into dst[cap], with utf8proc only for the runs of
 * non-ASCII bytes: the filter works per code point, and the reordering
 * of marks in utf8proc_decompose never moves anything across an ASCII
 * character (combining class 0), so each run decomposes as it would in
 * the whole text. ASCII folds to lower case; its letters and digits are
 * its only word characters. A run longer than the code points this holds
 * goes through words_full.
 */
static int words_into(const rs_alloc *al, const char *in, char *dst,
		      size_t cap, size_t *len)
{
	size_t n_in = strlen(in), i = 0, j, w = 0;
	utf8proc_int32_t cps[128];
	utf8proc_ssize_t n, k;
	int in_word = 0;

	*len = 0;
	if (!cap)
		return -3;
	while (i < n_in) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x80) {
			i++;
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9'))) {
				in_word = 0;
				continue;
			}
			if (w + 2 >= cap)
				return -3;
			if (!in_word)
				dst[w++] = ' ';
			in_word = 1;
			dst[w++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : (char)c;
			continue;
		}
		for (j = i + 1; j < n_in && (unsigned char)in[j] >= 0x80; j++)
			;
		n = utf8proc_decompose((const utf8proc_uint8_t *)in + i,
				       (utf8proc_ssize_t)(j - i), cps,
				       (utf8proc_ssize_t)(sizeof(cps) /
							  sizeof(cps[0])),
				       WORDS_OPTS);
		if (n < 0)
			return n == UTF8PROC_ERROR_NOMEM ? -1 : -2;
		if ((size_t)n > sizeof(cps) / sizeof(cps[0])) {
			char *full;
			int rc = words_full(al, in, n_in, &full);
			size_t l;
			if (rc)
				return rc;
			l = strlen(full);
			if (l + 1 > cap) {
				rs_free(al, full);
				return -3;
			}
			memcpy(dst, full, l + 1);
			rs_free(al, full);
			*len = l;
			return 0;
		}
		for (k = 0; k < n; k++) {
			if (!is_word(cps[k])) {
				in_word = 0;
				continue;
			}
			if (w + 5 >= cap)
				return -3;
			if (!in_word)
				dst[w++] = ' ';
			in_word = 1;
			w += fold_put(cps[k], dst + w);
		}
		i = j;
	}
	dst[w] = '\0';
	*len = w;
	return 0;
}

int rs_text_words_to(const rs_alloc *al, const char *in, char *dst,
		     size_t cap, size_t *len)
{
	int rc = words_into(al, in, dst, cap, len);

	/* too small: the words begun are not left as if they were all */
	if (rc == -3 && cap)
		dst[0] = '\0';
	return rc;
}

/* In one allocation: through a buffer on the stack, or words_full when
 * the words do not fit it. */
int rs_text_words(const rs_alloc *al, const char *in, char **out)
{
	char buf[1024];
	size_t w;
	int rc = rs_text_words_to(al, in, buf, sizeof(buf), &w);

	*out = NULL;
	if (rc == -3)
		return words_full(al, in, strlen(in), out);
	if (rc)
		return rc;
	if (!(*out = rs_malloc(al, w + 1)))
		return -1;
	memcpy(*out, buf, w + 1);
	return 0;
}
