/* validate.c: syntax of e-mail addresses, E.164 numbers (and their
 * country calling codes), countries, extensions. */
#include "validate.h"

#include "roster/catalog.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/calling_codes.h"
#include "util/countries.h"

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* RFC 5322 atext: a switch the compiler turns into a bit test, where
 * strchr on the specials cost a call per character */
static int is_atext(unsigned char c)
{
	if (is_alnum(c))
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '/': case '=': case '?': case '^':
	case '_': case '`': case '{': case '|': case '}': case '~':
	case '-':
		return 1;
	}
	return 0;
}

static void lower_copy(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = src[i];
		dst[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	dst[len] = '\0';
}

/* The length rules: *len gets the length of start..end once trailing
 * blanks are trimmed. */
static const char *email_length(const char *start, const char *end,
				size_t *len)
{
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*len = (size_t)(end - start);
	if (*len == 0)
		return "field.required";
	return *len > 254 ? "email.syntax" : NULL;
}

/*
 * The rules of an address whose text runs from `start` (leading blanks
 * skipped) to `end`: *len gets its length once trailing blanks are
 * trimmed. One pass each over the local part and the domain.
 */
static const char *email_rule(const char *start, const char *end,
			      size_t *len)
{
	const char *at, *p, *label, *rule;
	size_t i;

	if ((rule = email_length(start, end, len)))
		return rule;
	end = start + *len;
	/* the last '@', from the end */
	for (i = *len; i > 0 && start[i - 1] != '@'; i--)
		;
	at = i ? start + i - 1 : NULL;
	if (!at || at == start || at - start > 64 || at + 1 == end)
		return "email.syntax";
	/* local part: atext and single dots, not at either end */
	for (p = start; p < at; p++) {
		if (is_atext((unsigned char)*p))
			continue;
		if (*p == '.' && p != start && p + 1 != at && p[1] != '.')
			continue;
		return "email.syntax";
	}
	/* domain: two or more labels of letters, digits and inner hyphens;
	 * the last is letters only */
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
		if (!is_alnum((unsigned char)*p) && *p != '-')
			return "email.syntax";
	}
	if (label == at + 1 || end - label < 2)
		return "email.syntax";
	/* an internationalised top-level domain in its ASCII form (.рф
	 * is "xn--p1ai"): letters, digits and hyphens, as checked above */
	if (end - label > 4 && (label[0] | 0x20) == 'x' &&
	    (label[1] | 0x20) == 'n' && label[2] == '-' && label[3] == '-')
		return NULL;
	for (p = label; p < end; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return "email.syntax";
	return NULL;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

const char *rs_valid_email(const char *in, char *out, char *key)
{
	const char *start = skip_blanks(in), *rule;
	size_t len;

	if ((rule = email_rule(start, start + strnlen(start, 1024), &len)))
		return rule;
	memcpy(out, start, len);
	out[len] = '\0';
	lower_copy(key, start, len);
	return NULL;
}

const char *rs_email_key(const char *in, char *key, size_t *len)
{
	size_t n = strnlen(in, RS_EMAIL_INPUT_MAX + 1);
	const char *start, *rule;

	if (n > RS_EMAIL_INPUT_MAX)
		return "email.syntax";
	start = skip_blanks(in);
	if ((rule = email_length(start, in + n, len)))
		return rule;
	lower_copy(key, start, *len);
	return NULL;
}

const char *rs_extension_trim(const char *in, char *out)
{
	size_t n;

	if (strnlen(in, 64) >= 64)
		return "extension.digits"; /* not cut short to fit */
	in += strspn(in, " \t\r\n");
	n = strlen(in);
	while (n && strchr(" \t\r\n", in[n - 1]))
		n--;
	if (n > RS_EXTENSION_MAX)
		return "extension.digits";
	memcpy(out, in, n);
	out[n] = '\0';
	return NULL;
}

int rs_dials_zero(const char *digits, size_t n)
{
	char code[4];
	const char *trunk;

	if (!n || n >= sizeof(code))
		return 0;
	memcpy(code, digits, n);
	code[n] = '\0';
	return rs_calling_code(code, &trunk) == n && strcmp(trunk, "0") == 0;
}

/* The bytes of a separator a number is written with at `p`, 0 if none:
 * ". - ( ) /", a blank (space, tab), or, as pasted from a page set in
 * French typography, a no-break or narrow no-break space. */
static size_t number_sep(const char *p, int blank_only)
{
	const unsigned char *u = (const unsigned char *)p;

	if (*p == ' ' || *p == '\t')
		return 1;
	if (u[0] == 0xC2 && u[1] == 0xA0)
		return 2;
	if (u[0] == 0xE2 && u[1] == 0x80 && u[2] == 0xAF)
		return 3;
	return !blank_only && *p && strchr(".-()/", *p) ? 1 : 0;
}

const char *rs_valid_e164(const char *in, char *out)
{
	size_t digits = 0, s;
	const char *p = in;

	while ((s = number_sep(p, 1)) != 0)
		p += s;
	if (*p == '+')
		p++;
	else if (p[0] == '0' && p[1] == '0')
		p += 2; /* international prefix 00 */
	else
		return "phone.e164";
	out[0] = '+';
	for (; *p; p++) {
		if (p[0] == '(' && p[1] == '0' && p[2] == ')' &&
		    rs_dials_zero(out + 1, digits)) {
			/* "+33 (0)1 44": the national prefix, written for
			 * callers in the country and not dialled from
			 * abroad, is no digit of the number */
			p += 2;
			continue;
		}
		if (*p >= '0' && *p <= '9') {
			if (digits == 0 && *p == '0')
				return "phone.e164";
			if (++digits > 15)
				return "phone.e164";
			out[digits] = *p;
		} else if ((s = number_sep(p, 0)) != 0) {
			p += s - 1;
		} else {
			return "phone.e164";
		}
	}
	if (digits < 2)
		return "phone.e164";
	out[digits + 1] = '\0';
	return NULL;
}

static int cmp_calling_code(const void *key, const void *elem)
{
	unsigned a = *(const unsigned *)key;
	unsigned b = ((const struct calling_code *)elem)->code;

	return a < b ? -1 : a > b;
}

size_t rs_calling_code(const char *digits, const char **trunk)
{
	const struct calling_code *c;
	unsigned code = 0;
	size_t len;

	/* the codes are a prefix code: at most one length gives one */
	for (len = 1; len <= 3; len++) {
		if (digits[len - 1] < '0' || digits[len - 1] > '9')
			break;
		code = code * 10 + (unsigned)(digits[len - 1] - '0');
		c = bsearch(&code, calling_codes,
			    sizeof(calling_codes) / sizeof(calling_codes[0]),
			    sizeof(calling_codes[0]), cmp_calling_code);
		if (c) {
			*trunk = c->trunk;
			return len;
		}
	}
	*trunk = "";
	return 0;
}

static int cmp_region(const void *key, const void *elem)
{
	return strcmp(key, ((const struct region_code *)elem)->region);
}

unsigned rs_region_code(const char *region, const char **trunk)
{
	const struct region_code *rc;
	char r[3];

	if (!region || strlen(region) != 2 || !isalpha((unsigned char)region[0]) ||
	    !isalpha((unsigned char)region[1]))
		return 0;
	r[0] = (char)toupper((unsigned char)region[0]);
	r[1] = (char)toupper((unsigned char)region[1]);
	r[2] = '\0';
	rc = bsearch(r, region_codes,
		     sizeof(region_codes) / sizeof(region_codes[0]),
		     sizeof(region_codes[0]), cmp_region);
	if (!rc)
		return 0;
	if (trunk)
		*trunk = rc->trunk;
	return rc->code;
}

const char *rs_national_e164(const char *in, const char *region, char *out)
{
	const char *p = in, *trunk;
	char buf[64];
	size_t n, t, s;
	unsigned code = rs_region_code(region, &trunk);
	int len;

	while ((s = number_sep(p, 1)) != 0)
		p += s;
	if (!code || *p == '+' || (p[0] == '0' && p[1] == '0'))
		return rs_valid_e164(in, out);
	len = snprintf(buf, sizeof(buf), "+%u ", code);
	/* the digits as written, the national prefix left out */
	t = strlen(trunk);
	for (n = (size_t)len; *p && n < sizeof(buf) - 1; p++) {
		if (*p >= '0' && *p <= '9')
			buf[n++] = *p;
		else if ((s = number_sep(p, 0)) != 0)
			p += s - 1;
		else
			return "phone.e164";
	}
	if (*p)
		return "phone.e164"; /* longer than any number */
	buf[n] = '\0';
	if (t && strncmp(buf + len, trunk, t) == 0)
		memmove(buf + len, buf + len + t, n - (size_t)len - t + 1);
	return rs_valid_e164(buf, out);
}

static int cmp_country(const void *a, const void *b)
{
	return strcmp(a, b);
}

const char *rs_valid_country(const char *in, char *out)
{
	size_t i;

	if (strlen(in) != 2)
		return "address.country";
	for (i = 0; i < 2; i++) {
		char c = in[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c < 'A' || c > 'Z')
			return "address.country";
		out[i] = c;
	}
	out[2] = '\0';
	/* an assigned code ("UK" is not: GB), of Debian's iso-codes */
	if (!bsearch(out, countries, sizeof(countries) / sizeof(countries[0]),
		     sizeof(countries[0]), cmp_country))
		return "address.country";
	return NULL;
}

const char *rs_valid_extension(const char *ext, unsigned min_digits,
			       unsigned max_digits)
{
	size_t n = strlen(ext), i;

	if (n < min_digits || n > max_digits || ext[0] == '0')
		return "extension.digits";
	for (i = 0; i < n; i++)
		if (ext[i] < '0' || ext[i] > '9')
			return "extension.digits";
	return NULL;
}

const char *rs_valid_item_id(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++) {
		char c = id[n];
		if (n >= ROSTER_ITEM_ID_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return "item.syntax";
	}
	return n ? NULL : "item.syntax";
}
