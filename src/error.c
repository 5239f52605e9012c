/* error.c: error codes, their detail and its rendering. */
#include "error.h"

#include <stdio.h>
#include <string.h>

#include "util/text.h"

static _Thread_local roster_error tl_error;

const char *roster_strerror(int code)
{
	if (code > 0 || code < ROSTER_ERROR_CODE_MIN)
		return "unknown error";
	return rs_i18n_code(code, ROSTER_LANG_EN);
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n;

	if (!src) {
		dst[0] = '\0';
		return;
	}
	n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Copy a value for display, never letting it forge or hide log lines: a
 * valid UTF-8 character is kept unless it is a control, separator or
 * format character; those, and every byte of invalid UTF-8, are shown as
 * \xNN escapes. Cut on a character boundary, marked "..." when too long.
 */
static void copy_value(char *dst, size_t size, const char *src)
{
	size_t len, w = 0, i = 0;

	dst[0] = '\0';
	if (!src)
		return;
	len = strnlen(src, 4096);
	while (i < len) {
		int unsafe = 0;
		size_t n = rs_utf8_step(src + i, len - i, &unsafe), k;

		if (n == 0) { /* a byte that is not UTF-8 */
			n = 1;
			unsafe = 1;
		}
		if (unsafe) {
			if (w + 4 * n + 4 > size)
				break;
			for (k = 0; k < n; k++)
				w += (size_t)snprintf(dst + w, size - w,
						      "\\x%02X",
						      (unsigned char)src[i + k]);
		} else {
			if (w + n + 4 > size)
				break;
			memcpy(dst + w, src + i, n);
			w += n;
		}
		i += n;
	}
	if (i < len) {
		memcpy(dst + w, "...", 3);
		w += 3;
	}
	dst[w] = '\0';
}

/* Expand {field}, {value} and {limit} in a template. */
static void render(char *out, size_t size, const char *tpl,
		   const char *label, const char *value, long long limit)
{
	size_t w = 0;

	while (*tpl && w + 1 < size) {
		const char *sub = NULL;
		char num[32];
		size_t skip = 0;

		if (strncmp(tpl, "{field}", 7) == 0) {
			sub = label;
			skip = 7;
		} else if (strncmp(tpl, "{value}", 7) == 0) {
			sub = value;
			skip = 7;
		} else if (strncmp(tpl, "{limit}", 7) == 0) {
			snprintf(num, sizeof(num), "%lld", limit);
			sub = num;
			skip = 7;
		}
		if (sub) {
			size_t n = strlen(sub);
			if (n > size - 1 - w)
				n = size - 1 - w;
			memcpy(out + w, sub, n);
			w += n;
			tpl += skip;
		} else {
			out[w++] = *tpl++;
		}
	}
	out[w] = '\0';
}

int rs_error_set(roster_error *err, roster_language lang, const rs_fault *f)
{
	const char *tpl = NULL, *label = NULL;

	if ((int)lang < 0 || lang >= ROSTER_LANG_COUNT)
		lang = ROSTER_LANG_EN;
	err->code = f->code;
	copy_str(err->field, sizeof(err->field), f->field);
	copy_str(err->rule, sizeof(err->rule), f->rule);
	copy_value(err->value, sizeof(err->value), f->value);
	if (f->rule)
		tpl = rs_i18n_rule(f->rule, lang);
	if (!tpl)
		tpl = rs_i18n_code(f->code, lang);
	if (f->field)
		label = rs_i18n_label(f->field, lang);
	if (!label)
		label = err->field;
	render(err->message, sizeof(err->message), tpl, label, err->value,
	       f->limit);
	return f->code;
}

void rs_error_clear(roster_error *err)
{
	memset(err, 0, sizeof(*err));
}

int rs_error_tl(int code, const char *field, const char *rule,
		const char *value)
{
	return rs_error_tl_limit(code, field, rule, value, 0);
}

int rs_error_tl_limit(int code, const char *field, const char *rule,
		      const char *value, long long limit)
{
	rs_fault f = { code, field, rule, value, limit };

	return rs_error_set(&tl_error, ROSTER_LANG_EN, &f);
}

const roster_error *roster_error_last(void)
{
	return &tl_error;
}

int roster_error_code(const roster_error *err)
{
	return err ? err->code : ROSTER_EINVAL;
}

const char *roster_error_message(const roster_error *err)
{
	return err ? err->message : "";
}

const char *roster_error_field(const roster_error *err)
{
	return err ? err->field : "";
}

const char *roster_error_rule(const roster_error *err)
{
	return err ? err->rule : "";
}

const char *roster_error_value(const roster_error *err)
{
	return err ? err->value : "";
}
