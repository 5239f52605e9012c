/*
 * text.c: the fast paths of text normalisation, search words and e-mail
 * keys give what the full paths give, byte for byte, fault for fault.
 *
 * The references below are the functions as they were before the fast
 * paths (utf8proc over the whole text; the e-mail rules with strchr),
 * kept here verbatim as the oracle. Every character below U+0300 (where
 * rs_text_clean skips utf8proc) is checked alone, in context and in
 * every pair; combining marks around ASCII (where rs_text_words splits
 * its utf8proc runs) likewise; then lists of tricky values and random
 * texts built from awkward pieces, invalid UTF-8 included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <utf8proc.h>

#include "util/text.h"
#include "validate.h"

static rs_alloc al;

/* ------------------------------------------------------------------ */
/* The references                                                      */

static int ref_is_space(utf8proc_int32_t c)
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

static int ref_is_control(utf8proc_int32_t c)
{
	return utf8proc_category(c) == UTF8PROC_CATEGORY_CC ||
	       (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
}

/* Invisible characters are refused (src/util/text.c, is_hidden), but
 * for the uses writing needs; restated from the rule, not the code. */
static int in_range(utf8proc_int32_t c, utf8proc_int32_t lo,
		    utf8proc_int32_t hi)
{
	return c >= lo && c <= hi;
}

static int ref_joining(utf8proc_int32_t c)
{
	static const utf8proc_int32_t r[][2] = {
		{ 0x600, 0x8FF },     { 0x1800, 0x18AF },   { 0xA840, 0xA87F },
		{ 0xFB50, 0xFDFF },   { 0xFE70, 0xFEFF },   { 0x10AC0, 0x10AFF },
		{ 0x10B80, 0x10BAF }, { 0x10D00, 0x10D3F }, { 0x10F30, 0x10F6F },
		{ 0x1E900, 0x1E95F },
	};
	size_t k;

	for (k = 0; k < sizeof(r) / sizeof(r[0]); k++)
		if (in_range(c, r[k][0], r[k][1]))
			return 1;
	return 0;
}

static int ref_pict(utf8proc_int32_t c)
{
	return utf8proc_get_property(c)->boundclass ==
		       UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC ||
	       c == 0xFE0F;
}

static int ref_virama(utf8proc_int32_t c)
{
	return utf8proc_get_property(c)->combining_class == 9;
}

static int ref_is_hidden(const utf8proc_int32_t *raw, size_t i, size_t n)
{
	utf8proc_int32_t c = raw[i], p = i ? raw[i - 1] : 0;
	utf8proc_int32_t q = i + 1 < n ? raw[i + 1] : 0;
	utf8proc_category_t cat = utf8proc_category(c);

	if (cat == UTF8PROC_CATEGORY_CN)
		return c == 0x2065 || in_range(c, 0xFFF0, 0xFFF8) ||
		       in_range(c, 0xE0000, 0xE0FFF);
	if (!utf8proc_get_property(c)->ignorable && cat != UTF8PROC_CATEGORY_CF)
		return 0;
	switch (c) {
	case 0x600: case 0x601: case 0x602: case 0x603: case 0x604:
	case 0x605: case 0x6DD: case 0x70F: case 0x890: case 0x891:
	case 0x8E2: case 0x110BD: case 0x110CD:
		return 0;
	case 0x200C:
		return !(ref_virama(p) || ref_virama(q) ||
			 (ref_joining(p) && ref_joining(q)));
	case 0x200D:
		return !(ref_virama(p) || ref_virama(q) ||
			 (ref_joining(p) && ref_joining(q)) ||
			 (ref_pict(p) && ref_pict(q)));
	case 0x180E:
		return !(in_range(p, 0x1800, 0x18AF) && in_range(q, 0x1800, 0x18AF));
	case 0x180B: case 0x180C: case 0x180D: case 0x180F:
		return !in_range(p, 0x1800, 0x18AF);
	case 0xFE0E: case 0xFE0F:
		return !(ref_pict(p) ||
			 ((in_range(p, '0', '9') || p == '#' || p == '*') &&
			  q == 0x20E3));
	}
	if (in_range(c, 0xFE00, 0xFE0D) || in_range(c, 0xE0100, 0xE01EF))
		return !(in_range(p, 0x3400, 0x4DBF) || in_range(p, 0x4E00, 0x9FFF) ||
			 in_range(p, 0xF900, 0xFAFF) || in_range(p, 0x20000, 0x3FFFF));
	if (in_range(c, 0xE0020, 0xE007F))
		return !(p == 0x1F3F4 || in_range(p, 0xE0020, 0xE007E));
	return 1;
}

static int ref_is_mark(utf8proc_int32_t c)
{
	utf8proc_category_t cat = utf8proc_category(c);

	return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
	       cat == UTF8PROC_CATEGORY_ME || cat == UTF8PROC_CATEGORY_CF ||
	       c == 0x2800;
}

static enum rs_text_fault ref_clean(const char *in, unsigned flags,
				    size_t max_chars, char **out)
{
	const utf8proc_option_t opts =
		UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		((flags & RS_TEXT_FOLD) ? UTF8PROC_CASEFOLD : 0);
	size_t len = strlen(in), i, w = 0;
	utf8proc_ssize_t n, m, bytes;
	utf8proc_int32_t *buf, *raw;
	int pending_space = 0, marks_only = 1;
	size_t breaks = 0;
	char *res;

	*out = NULL;
	if (len > RS_TEXT_BYTES_MAX)
		return RS_TEXT_LONG;
	{
		size_t h = strspn(in, " \t\r\n"), t = len;

		while (t > h && strchr(" \t\r\n", in[t - 1]))
			t--;
		if ((t - h) / 16 > max_chars)
			return RS_TEXT_LONG;
	}
	n = utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, NULL, 0, opts);
	if (n < 0)
		return n == UTF8PROC_ERROR_NOMEM ? RS_TEXT_NOMEM : RS_TEXT_UTF8;
	buf = calloc((size_t)n + 1, sizeof(*buf));
	assert_non_null(buf);
	m = utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, buf, n, opts);
	if (m != n) {
		free(buf);
		return RS_TEXT_UTF8;
	}
	raw = malloc(((size_t)n + 1) * sizeof(*raw));
	assert_non_null(raw);
	memcpy(raw, buf, ((size_t)n + 1) * sizeof(*raw));
	for (i = 0; i < (size_t)n; i++) {
		utf8proc_int32_t c = raw[i];

		if ((flags & RS_TEXT_MULTILINE) &&
		    (c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 ||
		     c == 0x2029)) {
			if (c != '\r' || raw[i + 1] != '\n')
				breaks++;
			pending_space = 0;
			continue;
		}
		if (ref_is_space(c)) {
			if (!breaks)
				pending_space = 1;
			continue;
		}
		if (ref_is_control(c) || ref_is_hidden(raw, i, (size_t)n)) {
			free(buf);
			free(raw);
			return RS_TEXT_CONTROL;
		}
		if (w > 0 && breaks)
			while (breaks-- > 0)
				buf[w++] = '\n';
		else if (w > 0 && pending_space)
			buf[w++] = ' ';
		pending_space = 0;
		breaks = 0;
		marks_only &= ref_is_mark(c);
		buf[w++] = c;
	}
	free(raw);
	if ((w == 0 && !(flags & RS_TEXT_ALLOW_EMPTY)) || (w > 0 && marks_only)) {
		free(buf);
		return RS_TEXT_EMPTY;
	}
	bytes = utf8proc_reencode(buf, (utf8proc_ssize_t)w, opts);
	if (bytes < 0) {
		free(buf);
		return RS_TEXT_UTF8;
	}
	res = strndup((const char *)buf, (size_t)bytes);
	free(buf);
	assert_non_null(res);
	if (rs_utf8_chars(res) > max_chars) {
		free(res);
		return RS_TEXT_LONG;
	}
	*out = res;
	return RS_TEXT_OK;
}

static int ref_is_word(utf8proc_int32_t c)
{
	utf8proc_category_t cat = utf8proc_category(c);

	if (c == 0x02BC) /* the apostrophe of names: Oʼneil is O'Neil */
		return 0;
	return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
	       (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

/* The letters the words write as plain ones, where utf8proc keeps them
 * (the dotless i, letters with a stroke, ligatures: text.c). */
static const char *ref_plain(utf8proc_int32_t c)
{
	switch (c) {
	case 0x131: return "i";	 /* ı */
	case 0xE6: return "ae";	 /* æ */
	case 0x153: return "oe"; /* œ */
	case 0xFE: return "th";	 /* þ */
	case 0xF0: return "d";	 /* ð */
	case 0x111: return "d";	 /* đ */
	case 0xF8: return "o";	 /* ø */
	case 0x142: return "l";	 /* ł */
	case 0x127: return "h";	 /* ħ */
	case 0x167: return "t";	 /* ŧ */
	}
	return NULL;
}

static int ref_words(const char *in, char **out)
{
	const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_DECOMPOSE |
				       UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
				       UTF8PROC_STRIPMARK;
	size_t len = strlen(in), i, w = 0;
	utf8proc_ssize_t n;
	utf8proc_int32_t *buf;
	int in_word = 0;
	char *res;

	*out = NULL;
	n = utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, NULL, 0, opts);
	if (n < 0)
		return n == UTF8PROC_ERROR_NOMEM ? -1 : -2;
	buf = calloc((size_t)n + 1, sizeof(*buf));
	res = calloc((size_t)n * 5 + 2, 1);
	assert_non_null(buf);
	assert_non_null(res);
	if (utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, buf, n, opts) != n) {
		free(buf);
		free(res);
		return -2;
	}
	for (i = 0; i < (size_t)n; i++) {
		if (!ref_is_word(buf[i])) {
			in_word = 0;
			continue;
		}
		if (!in_word)
			res[w++] = ' ';
		in_word = 1;
		if (ref_plain(buf[i])) {
			strcpy(res + w, ref_plain(buf[i]));
			w += strlen(ref_plain(buf[i]));
			continue;
		}
		w += (size_t)utf8proc_encode_char(buf[i],
						  (utf8proc_uint8_t *)res + w);
	}
	res[w] = '\0';
	free(buf);
	*out = res;
	return 0;
}

static int ref_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static const char *ref_email(const char *in, char *out, char *key)
{
	const char *start = in, *end, *at = NULL, *p, *label;
	size_t len, i;

	while (*start == ' ' || *start == '\t')
		start++;
	end = start + strnlen(start, 1024);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	len = (size_t)(end - start);
	if (len == 0)
		return "field.required";
	if (len > 254)
		return "email.syntax";
	for (p = start; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at || at == start || at - start > 64 || at + 1 == end)
		return "email.syntax";
	for (p = start; p < at; p++) {
		if (ref_is_alnum(*p) || strchr("!#$%&'*+/=?^_`{|}~-", *p))
			continue;
		if (*p == '.' && p != start && p + 1 != at && p[1] != '.')
			continue;
		return "email.syntax";
	}
	label = at + 1;
	for (p = at + 1;; p++) {
		if (p == end || *p == '.') {
			size_t n = (size_t)(p - label);
			if (n == 0 || n > 63 || label[0] == '-' ||
			    p[-1] == '-')
				return "email.syntax";
			if (p == end)
				break;
			label = p + 1;
			continue;
		}
		if (!ref_is_alnum(*p) && *p != '-')
			return "email.syntax";
	}
	if (label == at + 1 || end - label < 2)
		return "email.syntax";
	for (p = label; p < end; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return "email.syntax";
	memcpy(out, start, len);
	out[len] = '\0';
	for (i = 0; i < len; i++)
		key[i] = (start[i] >= 'A' && start[i] <= 'Z')
				 ? (char)(start[i] + 32) : start[i];
	key[len] = '\0';
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Comparing                                                           */

static void fail_on(const char *what, const char *in, unsigned flags)
{
	size_t i;

	fprintf(stderr, "%s differs (flags %#x) for:", what, flags);
	for (i = 0; in[i] && i < 200; i++)
		fprintf(stderr, " %02x", (unsigned char)in[i]);
	fprintf(stderr, "\n");
	fail();
}

static const unsigned clean_flags[] = {
	0, RS_TEXT_MULTILINE, RS_TEXT_ALLOW_EMPTY, RS_TEXT_FOLD,
	RS_TEXT_MULTILINE | RS_TEXT_ALLOW_EMPTY,
	RS_TEXT_FOLD | RS_TEXT_ALLOW_EMPTY,
	RS_TEXT_MULTILINE | RS_TEXT_FOLD | RS_TEXT_ALLOW_EMPTY,
};
#define NFLAGS (sizeof(clean_flags) / sizeof(clean_flags[0]))

static void same_clean(const char *in, unsigned flags, size_t max)
{
	char *a = NULL, *b = NULL;
	enum rs_text_fault fa = rs_text_clean(&al, in, flags, max, &a);
	enum rs_text_fault fb = ref_clean(in, flags, max, &b);

	if (fa != fb || (a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		fail_on("rs_text_clean", in, flags);
	rs_free(&al, a);
	free(b);
}

static void same_words(const char *in)
{
	char *a = NULL, *b = NULL;
	int ra = rs_text_words(&al, in, &a), rb = ref_words(in, &b);

	if (ra != rb || (a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		fail_on("rs_text_words", in, 0);
	if (b) {
		/* into a buffer: the same words once it has room to spare
		 * (up to 4 bytes over the words), -3 and an empty buffer
		 * when it is too small */
		size_t len = strlen(b), got = 99, cap;
		char *buf = malloc(len + 8);
		assert_non_null(buf);
		for (cap = 0; cap <= len + 7; cap++) {
			int r = rs_text_words_to(&al, in, buf, cap, &got);
			if (cap <= len ? r != -3
				       : cap >= len + 6 &&
						 (r != 0 || got != len ||
						  strcmp(buf, b)))
				fail_on("rs_text_words_to", in, (unsigned)cap);
			/* too small, it holds no words, not some */
			if (r == -3 && cap && buf[0])
				fail_on("rs_text_words_to", in, (unsigned)cap);
			if (len > 80 && cap > 40 && cap < len - 40)
				cap = len - 40; /* the edges are what count */
		}
		free(buf);
	}
	rs_free(&al, a);
	free(b);
}

static void same_email(const char *in)
{
	char out[256], key[256], ref_out[256], ref_key[256], key2[256];
	const char *r = rs_valid_email(in, out, key);
	const char *q = ref_email(in, ref_out, ref_key);
	const char *k;
	size_t len = 0;

	if ((r == NULL) != (q == NULL) || (r && strcmp(r, q)) ||
	    (!r && (strcmp(out, ref_out) || strcmp(key, ref_key))))
		fail_on("rs_valid_email", in, 0);
	/* the lookup key: the setter's length limit first; then the key the
	 * setter keeps of every address it accepts (another text may give a
	 * key too, which no user holds) */
	k = rs_email_key(in, key2, &len);
	if (strnlen(in, 1024) > 1000)
		q = "email.syntax";
	if ((!q && (k || strcmp(key2, ref_key) || len != strlen(ref_key))) ||
	    (strnlen(in, 1024) > 1000 && (!k || strcmp(k, q))))
		fail_on("rs_email_key", in, 0);
}

static void same_all(const char *in)
{
	static const size_t maxes[] = { 0, 1, 3, 8, 100, 1000 };
	size_t i, j;

	for (i = 0; i < NFLAGS; i++)
		for (j = 0; j < sizeof(maxes) / sizeof(maxes[0]); j++)
			same_clean(in, clean_flags[i], maxes[j]);
	same_words(in);
	same_email(in);
}

static size_t put_cp(char *s, uint32_t c)
{
	return (size_t)utf8proc_encode_char((utf8proc_int32_t)c,
					    (utf8proc_uint8_t *)s);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

/* Every character the fast path of rs_text_clean takes, and the marks
 * around it, alone and between others. */
static void test_each_character(void **state)
{
	static const char *const around[][2] = {
		{ "", "" }, { "a", "" }, { "", "a" }, { "A", "z" },
		{ " ", " " }, { "x\n", "\ny" }, { "e", "\xCC\x81" },
		{ "\xC3\xA9", "B" }, { "1 ", " 2" },
	};
	char s[64];
	uint32_t c;
	size_t i, n;

	(void)state;
	for (c = 1; c < 0x400; c++) {
		for (i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
			n = strlen(around[i][0]);
			memcpy(s, around[i][0], n);
			n += put_cp(s + n, c);
			strcpy(s + n, around[i][1]);
			same_all(s);
		}
	}
}

/* NFC leaves every pair of characters below U+0300 as it is: the claim
 * the fast path of rs_text_clean rests on. (Controls, the soft hyphen
 * and spaces, which the filter refuses or removes, are checked above.) */
static void test_every_pair(void **state)
{
	char s[8];
	uint32_t a, b;
	char *x = NULL;
	size_t n;

	(void)state;
	for (a = 0x21; a < 0x300; a++) {
		if ((a >= 0x7F && a < 0xA1) || a == 0xAD)
			continue;
		for (b = 0x21; b < 0x300; b++) {
			if ((b >= 0x7F && b < 0xA1) || b == 0xAD)
				continue;
			n = put_cp(s, a);
			n += put_cp(s + n, b);
			s[n] = '\0';
			assert_int_equal(ref_clean(s, 0, 100, &x), RS_TEXT_OK);
			if (strcmp(x, s) != 0)
				fail_on("NFC of a pair", s, 0);
			free(x);
			same_clean(s, 0, 100);
		}
	}
}

/* Two combining marks after an ASCII letter and before another: the
 * reordering of marks in a run of rs_text_words. */
static void test_marks_around_ascii(void **state)
{
	char s[32];
	uint32_t a, b;
	size_t n;

	(void)state;
	for (a = 0x300; a < 0x370; a++)
		for (b = 0x300; b < 0x370; b += 3) {
			n = 0;
			s[n++] = 'e';
			n += put_cp(s + n, a);
			n += put_cp(s + n, b);
			s[n++] = 'X';
			n += put_cp(s + n, b);
			s[n] = '\0';
			same_words(s);
			same_clean(s, 0, 100);
			same_clean(s, RS_TEXT_FOLD, 100);
		}
}

static const char *const tricky_text[] = {
	"", " ", "\t\t", "\n", " \n \n ", "Marie", "  Marie  ", "Marie  Hélène",
	"Marie\tHélène", "Marie\r\nHélène", "a\n\n\nb", "a \n b", "a\xC2\xA0" "b",
	"a\xC2\x85" "b", "a\xC2\x80" "b", "a\x7F" "b", "a\x01" "b", "\x1F",
	"ÉCOLE", "Straße", "STRASSE", "İstanbul", "ﬁne", "Ǆemal", "ǅ", "Σίσυφος",
	"ΣΊΣΥΦΟΣ", "Dvořáková", "DVOŘÁKOVÁ", "Zoë", "Zoe\xCC\x88", "e\xCC\x81",
	"\xCC\x81" "e", "A\xCC\x8A", "Å", "\xE2\x84\xAB", "한국어",
	"\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", "日本語テキスト", "😀 smile",
	"a\xE2\x80\xA8" "b", "a\xE2\x80\x8B" "b", "\xEF\xBB\xBF" "bom",
	"a\xE2\x80\xAE" "b", "ǰ̣", "x\xCC\xA3\xCC\x87y", "x\xCC\x87\xCC\xA3y",
	"\xC3", "\xC3" "A", "a\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80",
	"\xFF", "abc\xC3", "\xCB\xBF", "\xCC\x80", "\xC2\xA0\xC2\xA0",
	"Jean-Luc O'Neil", "user+tag@example.com", "x_y.z", "123-456",
	"ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ",
	"ĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįİıĲĳĴĵĶķĸĹĺĻļĽľĿŀŁł",
	"ŃńŅņŇňŉŊŋŌōŎŏŐőŒœŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŧŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſ",
	"ǅǈǋǲ ʼ ˆ ˇ ˘ ˙ ˚ ˛ ˜ ˝", "ɐɑɒɓɔɕɖɗɘəɚɛɜɝɞɟ",
};

static void test_tricky_texts(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tricky_text) / sizeof(tricky_text[0]); i++)
		same_all(tricky_text[i]);
}

/* Noncharacters are refused as control characters are; their
 * neighbours are kept. */
static void test_noncharacters(void **state)
{
	static const struct {
		const char *s;
		enum rs_text_fault f;
	} cases[] = {
		{ "a\xEF\xBF\xBE", RS_TEXT_CONTROL },     /* U+FFFE */
		{ "a\xEF\xBF\xBF", RS_TEXT_CONTROL },     /* U+FFFF */
		{ "a\xEF\xB7\x90", RS_TEXT_CONTROL },     /* U+FDD0 */
		{ "a\xEF\xB7\xAF", RS_TEXT_CONTROL },     /* U+FDEF */
		{ "a\xF0\x9F\xBF\xBE", RS_TEXT_CONTROL }, /* U+1FFFE */
		{ "a\xF4\x8F\xBF\xBF", RS_TEXT_CONTROL }, /* U+10FFFF */
		{ "a\xEF\xBF\xBD", RS_TEXT_OK },	     /* U+FFFD */
		{ "a\xEF\xB7\x8F", RS_TEXT_OK },	     /* U+FDCF */
		{ "a\xEF\xB7\xB0", RS_TEXT_OK },	     /* U+FDF0 */
		/* not assigned in utf8proc's Unicode, and not reserved
		 * invisible: a later version may assign it */
		{ "a\xF0\x9F\xBF\xBD", RS_TEXT_OK },     /* U+1FFFD */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;

		assert_int_equal(rs_text_clean(&al, cases[i].s, 0, 100, &out),
				 cases[i].f);
		rs_free(&al, out);
		same_all(cases[i].s);
	}
}

/* Longer than the stack buffers: the heap and the full paths. */
static void test_long_texts(void **state)
{
	static const char *const pieces[] = { "a", "É", " ", "\n", "e\xCC\x81",
					      "日", "\xCC\x81", "Zz9 " };
	size_t sizes[] = { 127, 128, 129, 255, 256, 511, 512, 513, 1023, 1024,
			   1025, 2000, 5000 };
	char *s = malloc(6000);
	size_t i, p, n;

	(void)state;
	assert_non_null(s);
	for (p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++)
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t k = strlen(pieces[p]);
			for (n = 0; n + k <= sizes[i]; n += k)
				memcpy(s + n, pieces[p], k);
			s[n] = '\0';
			same_all(s);
			/* a fault at the very end */
			if (n > 2) {
				s[n - 1] = '\x01';
				same_all(s);
				s[n - 1] = '\xC3';
				same_all(s);
			}
		}
	free(s);
}

/* A short value padded with blanks far beyond 16 bytes a character is
 * the value, not "too long"; a value that long without them still is. */
static void test_padded_text(void **state)
{
	char *s = malloc(3000), *out = NULL;

	(void)state;
	assert_non_null(s);
	memset(s, ' ', 2999);
	s[2999] = '\0';
	s[1000] = 'x';
	s[1001] = '\t';
	s[1002] = '\n';
	assert_int_equal(rs_text_clean(&al, s, 0, 100, &out), RS_TEXT_OK);
	assert_string_equal(out, "x");
	free(out);
	memset(s, 'y', 1700);
	assert_int_equal(rs_text_clean(&al, s, 0, 100, &out), RS_TEXT_LONG);
	assert_null(out);
	free(s);
	/* but a text longer than RS_TEXT_BYTES_MAX is refused, padding or
	 * not: a form cuts its copy there, and a value cut short ("Jan",
	 * blanks, and the rest lost) must not be taken */
	s = malloc(RS_TEXT_BYTES_MAX + 2);
	assert_non_null(s);
	memset(s, ' ', RS_TEXT_BYTES_MAX + 1);
	s[RS_TEXT_BYTES_MAX + 1] = '\0';
	memcpy(s, "Jan", 3);
	assert_int_equal(rs_text_clean(&al, s, 0, 100, &out), RS_TEXT_LONG);
	s[RS_TEXT_BYTES_MAX] = '\0';
	assert_int_equal(rs_text_clean(&al, s, 0, 100, &out), RS_TEXT_OK);
	assert_string_equal(out, "Jan");
	free(out);
	free(s);
}

/* Invisible characters: refused, but for the joiners of the scripts that
 * write with them; a text of marks alone is empty. */
static void test_hidden_characters(void **state)
{
	static const char *const refused[] = {
		"\xE2\x80\x8B",		  /* zero-width space alone */
		"Pa\xE2\x80\x8Bris",	  /* a second "Paris" */
		"Pa\xE2\x80\x8Dris",	  /* a joiner between Latin letters */
		"Jan\xE2\x80\xAEnimda",	  /* right-to-left override */
		"\xE2\x81\xA6x\xE2\x81\xA9", /* an isolate */
		"Sof\xC2\xADtova",		  /* soft hyphen */
		"\xEF\xBB\xBFJan",		  /* byte order mark */
		"Jan\xF3\xA0\x80\x81",	  /* a tag character */
		"\xE2\x80\x8C\xD9\x85",	  /* a joiner at the start */
		"\xEF\xB8\x8F",		  /* a variation selector alone */
		"Pa\xCD\x8F" "ris",		  /* combining grapheme joiner */
		"Pa\xEF\xB8\x80" "ris",	  /* a variation selector */
		"\xE3\x85\xA4",		  /* a Hangul filler */
		"Jan\xE3\x85\xA4",
		/* joiners between Cyrillic, Han letters: second names */
		"\xD0\x9C\xD0\xBE\xE2\x80\x8C\xD1\x81",
		"\xE6\x9D\xB1\xE2\x80\x8D\xE4\xBA\xAC",
		"Jan\xF3\xA0\x81\xA7",	  /* a tag after no flag */
		/* found by review: a Mongolian variation selector, an
		 * unassigned invisible code point, a variation selector after
		 * a Cyrillic letter, a Hangul filler after a syllable, the
		 * Khmer inherent vowel, a joiner between two Han characters
		 * of the supplementary planes */
		"Pa\xE1\xA0\x8B" "ris",
		"Pa\xE2\x81\xA5" "ris",
		"Pa\xF3\xA0\x82\x80" "ris",
		"\xD0\x9C\xD0\xBE\xEF\xB8\x80",
		"\xEA\xB9\x80\xE1\x85\xA0",
		"\xE1\x9E\x80\xE1\x9E\xB4",
		"\xF0\xA0\x80\x80\xE2\x80\x8D\xF0\xA0\x80\x81",
		"\xEF\xBF\xB0",
		/* a presentation selector after a digit with no keycap, a
		 * variation selector after kana */
		"Room 1\xEF\xB8\x8F",
		"\xE3\x81\x95\xF3\xA0\x84\x80\xE3\x81\x8F",
	};
	static const char *const empty[] = {
		"\xCC\x81",			  /* a combining accent alone */
		"\xCC\x81 \xCC\x88",
		"\xE0\xA5\x8D",		  /* a virama alone */
		"\xE2\xA0\x80",		  /* the braille blank */
	};
	static const char *const kept[] = {
		/* Persian with a zero-width non-joiner between letters */
		"\xD9\x85\xDB\x8C\xE2\x80\x8C\xD8\xAE\xD9\x88\xD8\xA7\xD9\x87\xD9\x85",
		/* an emoji sequence joined by a zero-width joiner */
		"\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",
		"Ren\xC3\xA9" "e",
		/* Malayalam chillu (a joiner after a virama), at the end of
		 * a word and of the text */
		"\xE0\xB4\x9C\xE0\xB5\x8B\xE0\xB4\xA3\xE0\xB5\x8D\xE2\x80\x8D",
		"\xE0\xB4\x9C\xE0\xB5\x8B\xE0\xB4\xA3\xE0\xB5\x8D\xE2\x80\x8D "
		"\xE0\xB4\x9C",
		/* Mongolian with its vowel separator */
		"\xE1\xA0\xAC\xE1\xA0\xA0\xE1\xA0\xB7\xE1\xA0\x8E\xE1\xA0\xA0",
		/* Syriac abbreviation mark, which shows */
		"\xDC\x8F\xDC\x90",
		/* the flag of Scotland: a black flag and tags */
		"Fiona \xF0\x9F\x8F\xB4\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2"
		"\xF3\xA0\x81\xB3\xF3\xA0\x81\xA3\xF3\xA0\x81\xB4"
		"\xF3\xA0\x81\xBF",
		/* a keycap, a red heart, a Han character and its variant */
		"1\xEF\xB8\x8F\xE2\x83\xA3",
		"\xE2\x9D\xA4\xEF\xB8\x8F",
		"\xE8\x91\x9B\xF3\xA0\x84\x80",
		/* Bengali "Ryan": ra, joiner, virama, ya */
		"\xE0\xA6\xB0\xE2\x80\x8D\xE0\xA7\x8D\xE0\xA6\xAF\xE0\xA6\xBE\xE0\xA6\xA8",
		/* Mandaic with a non-joiner between letters */
		"\xE0\xA1\x80\xE2\x80\x8C\xE0\xA1\x81",
		/* emoji outside the emoji blocks: trade mark, information,
		 * wavy dash, with their presentation selector */
		"Support \xE2\x84\xA2\xEF\xB8\x8F",
		"\xE2\x84\xB9\xEF\xB8\x8F \xE3\x80\xB0\xEF\xB8\x8F",
		/* CJK Extension I (Unicode 15.1), if not known: taken */
		"\xF0\xAE\xAF\xB0",
	};
	char *out = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(rs_text_clean(&al, refused[i], 0, 100, &out),
				 RS_TEXT_CONTROL);
		assert_null(out);
		same_all(refused[i]);
	}
	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		assert_int_equal(rs_text_clean(&al, empty[i], 0, 100, &out),
				 RS_TEXT_EMPTY);
		assert_int_equal(rs_text_clean(&al, empty[i],
					       RS_TEXT_ALLOW_EMPTY, 100, &out),
				 RS_TEXT_EMPTY);
		same_all(empty[i]);
	}
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		assert_int_equal(rs_text_clean(&al, kept[i], 0, 100, &out),
				 RS_TEXT_OK);
		assert_string_equal(out, kept[i]);
		rs_free(&al, out);
		same_all(kept[i]);
	}
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* Random texts of awkward pieces. */
static void test_random_texts(void **state)
{
	static const char *const pieces[] = {
		"a", "Z", "k", "0", "9", " ", "  ", "\t", "\n", "\r", "\x01",
		"\x7F", ".", "-", "'", "_", "@", "+", "\xC2\xA0", "\xC2\x85",
		"\xC2\x9F", "é", "É", "e\xCC\x81", "\xCC\x81", "\xCC\xA3", "ß",
		"İ", "ﬁ", "Σ", "ς", "한", "\xE1\x84\x92", "\xE1\x85\xA1", "日",
		"\xE2\x80\xA8", "\xE2\x80\x8B", "\xEF\xBB\xBF", "😀", "\xC3",
		"\xC0\x80", "\xED\xA0\x80", "\xFF", "\x80", "ǅ", "ʼ", "˚", "ɐ",
		"\xCB\xBF", "ÿ", "Ÿ", "ŉ", "ǰ",
	};
	char s[512];
	size_t it, n, k, j;

	(void)state;
	for (it = 0; it < 20000; it++) {
		size_t count = rnd() % 24;
		n = 0;
		for (j = 0; j < count; j++) {
			const char *p = pieces[rnd() % (sizeof(pieces) /
							sizeof(pieces[0]))];
			k = strlen(p);
			memcpy(s + n, p, k);
			n += k;
		}
		s[n] = '\0';
		same_clean(s, clean_flags[it % NFLAGS], 1 + rnd() % 12);
		same_words(s);
	}
}

static const char *const tricky_email[] = {
	"", " ", "\t \t", "a@b.cd", "A@B.CD", "Marie@Acme.Example",
	" marie@acme.example", "marie@acme.example ", "\t marie@acme.example\t ",
	" marie @acme.example", "marie@ acme.example", "marie.curie@acme.example",
	"marie..curie@acme.example", ".marie@acme.example", "marie.@acme.example",
	"m.a.r.i.e@acme.example", "marie+tag@acme.example", "MARIE+TAG@ACME.EXAMPLE",
	"\"marie\"@acme.example", "\"ma rie\"@acme.example", "ma\"rie@acme.example",
	"!#$%&'*+/=?^_`{|}~-@acme.example", "a(b)@acme.example", "a,b@acme.example",
	"a;b@acme.example", "a<b>@acme.example", "a[b]@acme.example",
	"a\\b@acme.example", "a:b@acme.example", "a@b@acme.example",
	"@acme.example", "marie@", "marie", "marie@acme", "marie@acme.",
	"marie@.acme.example", "marie@acme..example", "marie@-acme.example",
	"marie@acme-.example", "marie@ac-me.example", "marie@ac--me.example",
	"marie@acme.e", "marie@acme.e1", "marie@acme.ex-ample", "marie@123.example",
	"marie@acme.example.", "marie@acme_corp.example", "marie@[127.0.0.1]",
	"marie@acme.EXAMPLE", "marie@xn--bcher-kva.example", "marie@bücher.example",
	"mañana@acme.example", "marie@acme.exämple", "ü@acme.example",
	"marie@acme.example\n", "marie\n@acme.example", "\nmarie@acme.example",
	"marie@acme.example\r", "ma\x01rie@acme.example", "marie@acme.ex\x7F",
	"marie@acme.example\xC3", "\xC2\xA0marie@acme.example",
	"marie@acme.example\xC2\xA0", "Ǆ@acme.example", "İ@acme.example",
};

static void test_tricky_emails(void **state)
{
	char s[1200];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(tricky_email) / sizeof(tricky_email[0]); i++)
		same_all(tricky_email[i]);
	/* lengths at every limit: local part 64/65, label 63/64, address
	 * 254/255, the input 1000/1001, blanks around */
	for (n = 60; n < 70; n++) {
		memset(s, 'l', n);
		strcpy(s + n, "@acme.example");
		same_email(s);
	}
	for (n = 60; n < 70; n++) {
		strcpy(s, "marie@");
		memset(s + 6, 'd', n);
		strcpy(s + 6 + n, ".example");
		same_email(s);
	}
	for (n = 240; n < 270; n++) {
		size_t k, w = 0;
		strcpy(s, "marie@");
		w = 6;
		for (k = 0; w + 4 < n; k++) {
			memcpy(s + w, "abc.", 4);
			w += 4;
		}
		strcpy(s + w, "exam");
		same_email(s);
	}
	for (n = 990; n < 1030; n++) {
		memset(s, ' ', n);
		strcpy(s + n - 12, "a@acme.example");
		same_email(s);
		memset(s, ' ', n);
		strcpy(s, "a@acme.example");
		s[14] = ' ';
		s[n] = '\0';
		same_email(s);
		memset(s, ' ', n);
		s[n] = '\0';
		same_email(s);
	}
}

static void test_random_emails(void **state)
{
	static const char *const pieces[] = {
		"a", "Z", "0", ".", "..", "@", "-", "+", "_", "'", "\"", " ",
		"\t", "é", "\xC3", "!", "~", "(", "ex", "EX", "com", "xn--",
	};
	char s[300];
	size_t it, n, k, j;

	(void)state;
	for (it = 0; it < 50000; it++) {
		size_t count = rnd() % 20;
		n = 0;
		for (j = 0; j < count; j++) {
			const char *p = pieces[rnd() % (sizeof(pieces) /
							sizeof(pieces[0]))];
			k = strlen(p);
			memcpy(s + n, p, k);
			n += k;
		}
		s[n] = '\0';
		same_email(s);
		/* a likely valid shape */
		snprintf(s, sizeof(s), "%c%u.%c@%s%u.%s", 'A' + (int)(rnd() % 26),
			 rnd() % 1000, 'a' + (int)(rnd() % 26),
			 rnd() % 2 ? "Acme" : "-x", rnd() % 97,
			 rnd() % 2 ? "Example" : "ex1");
		same_email(s);
	}
}

static int ref_utf8_valid(const char *s, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;

	while (len > 0) {
		utf8proc_ssize_t n = utf8proc_iterate(p, (utf8proc_ssize_t)len, &c);
		if (n <= 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

/* The letters written as plain ones, each against its literal words
 * (the reference above repeats the table, so could not tell a wrong
 * letter), upper and lower case, in the fast path and the full one (a
 * long text goes through utf8proc whole). */
static void test_plain_letters(void **state)
{
	static const char text[] =
		"Łukasz łoś Øyvind øre Đoković đak Ħal ħin Ŧom ŧa Ðóra ðað "
		"Lætitia ÆSIR Œuvre œil Þór þing Yılmaz";
	static const char words[] =
		" lukasz los oyvind ore dokovic dak hal hin tom ta dora dad"
		" laetitia aesir oeuvre oeil thor thing yilmaz";
	char *w = NULL, *long_in, *long_w;
	size_t i, n = strlen(text);

	(void)state;
	assert_int_equal(rs_text_words(&al, text, &w), 0);
	assert_string_equal(w, words);
	rs_free(&al, w);
	/* 40 times over: past the fast path's buffer */
	long_in = malloc(40 * (n + 1) + 1);
	long_w = malloc(40 * strlen(words) + 1);
	assert_non_null(long_in);
	assert_non_null(long_w);
	long_in[0] = long_w[0] = '\0';
	for (i = 0; i < 40; i++) {
		strcat(long_in, text);
		strcat(long_in, " ");
		strcat(long_w, words);
	}
	assert_int_equal(rs_text_words(&al, long_in, &w), 0);
	assert_string_equal(w, long_w);
	rs_free(&al, w);
	free(long_in);
	free(long_w);
}

static void test_utf8_valid(void **state)
{
	static const char *const s[] = { "", "abc", "é", "\xC3", ("\xC3" "A"),
					 "a\xC0\x80", "\xED\xA0\x80", "日本",
					 "\xF4\x90\x80\x80", "a\x80", "\xFF",
					 "😀", "\xF0\x9F\x98" };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		for (j = 0; j <= strlen(s[i]); j++)
			assert_int_equal(rs_utf8_valid(s[i], j),
					 ref_utf8_valid(s[i], j));
	assert_int_equal(rs_utf8_valid("a\0b", 3), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_character),
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_marks_around_ascii),
		cmocka_unit_test(test_tricky_texts),
		cmocka_unit_test(test_noncharacters),
		cmocka_unit_test(test_long_texts),
		cmocka_unit_test(test_padded_text),
		cmocka_unit_test(test_hidden_characters),
		cmocka_unit_test(test_random_texts),
		cmocka_unit_test(test_tricky_emails),
		cmocka_unit_test(test_random_emails),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_plain_letters),
	};

	rs_alloc_setup(&al, NULL);
	return cmocka_run_group_tests_name("core/text", tests, NULL, NULL);
}
