/* validate.c: syntax of e-mail addresses, E.164 numbers, countries,
 * extensions. */
#include "validate.h"

#include "roster/catalog.h"

#include <string.h>

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

const char *rs_valid_email(const char *in, char *out, char *key)
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
	/* local part: atext and single dots, not at either end */
	for (p = start; p < at; p++) {
		if (is_alnum(*p) || strchr("!#$%&'*+/=?^_`{|}~-", *p))
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
		if (!is_alnum(*p) && *p != '-')
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
		key[i] = lower(start[i]);
	key[len] = '\0';
	return NULL;
}

const char *rs_valid_e164(const char *in, char *out)
{
	size_t digits = 0;
	const char *p = in;

	while (*p == ' ')
		p++;
	if (*p == '+')
		p++;
	else if (p[0] == '0' && p[1] == '0')
		p += 2; /* international prefix 00 */
	else
		return "phone.e164";
	out[0] = '+';
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (digits == 0 && *p == '0')
				return "phone.e164";
			if (++digits > 15)
				return "phone.e164";
			out[digits] = *p;
		} else if (!strchr(" .-()/", *p)) {
			return "phone.e164";
		}
	}
	if (digits < 2)
		return "phone.e164";
	out[digits + 1] = '\0';
	return NULL;
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
