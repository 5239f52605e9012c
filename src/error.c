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
		int unsafe;
		size_t n = rs_utf8_shown(src + i, len - i, &unsafe), k;

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

/* The length of the longest prefix of s[0..n) that ends on a character
 * boundary of UTF-8 (s itself being valid UTF-8 before the cut). */
static size_t whole_chars(const char *s, size_t n)
{
	size_t k = n, need;
	unsigned char lead;

	while (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
		k--;
	if (k == 0)
		return n; /* no lead byte: not a cut character */
	lead = (unsigned char)s[k - 1];
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	return n - (k - 1) >= need ? n : k - 1;
}

/* Expand {field}, {value}, {detail} (the value in `lang` when it is an
 * importer's words for a faulty file) and {limit} in a template into
 * `size` bytes, cut on a character boundary when they are too few. */
static void render(char *out, size_t size, const char *tpl,
		   const char *label, const char *value, long long limit,
		   roster_language lang)
{
	size_t w = 0;
	int cut = 0;

	while (*tpl && !cut) {
		const char *sub = NULL;
		char num[32], words[ROSTER_ERROR_MESSAGE_MAX];
		size_t skip = 1, n;

		if (strncmp(tpl, "{field}", 7) == 0) {
			sub = label;
			skip = 7;
		} else if (strncmp(tpl, "{value}", 7) == 0) {
			sub = value;
			skip = 7;
		} else if (strncmp(tpl, "{detail}", 8) == 0) {
			sub = rs_i18n_detail(value, lang, words,
					     sizeof(words));
			if (!sub)
				sub = value;
			skip = 8;
		} else if (strncmp(tpl, "{limit}", 7) == 0) {
			snprintf(num, sizeof(num), "%lld", limit);
			sub = num;
			skip = 7;
		}
		n = sub ? strlen(sub) : 1;
		if (n > size - 1 - w) {
			n = size - 1 - w;
			cut = 1;
		}
		memcpy(out + w, sub ? sub : tpl, n);
		w += n;
		tpl += skip;
	}
	if (cut)
		w = whole_chars(out, w);
	out[w] = '\0';
}

/* The message of `err` in `lang` into `size` (> 0) bytes. */
static void message_of(const roster_error *err, roster_language lang,
		       char *out, size_t size)
{
	const char *tpl = NULL, *label = NULL;

	if (err->code == ROSTER_OK) {
		out[0] = '\0';
		return;
	}
	if (err->rule[0])
		tpl = rs_i18n_rule(err->rule, lang);
	if (!tpl)
		tpl = rs_i18n_code(err->code, lang);
	if (err->field[0])
		label = rs_i18n_label(err->field, lang);
	if (!label)
		label = err->field;
	render(out, size, tpl, label, err->value, err->limit, lang);
}

int rs_error_set(roster_error *err, roster_language lang, const rs_fault *f)
{
	if ((int)lang < 0 || lang >= ROSTER_LANG_COUNT)
		lang = ROSTER_LANG_EN;
	err->code = f->code;
	copy_str(err->field, sizeof(err->field), f->field);
	copy_str(err->rule, sizeof(err->rule), f->rule);
	copy_value(err->value, sizeof(err->value), f->value);
	err->limit = f->limit;
	err->lang = lang;
	message_of(err, lang, err->message, sizeof(err->message));
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

int roster_error_message_in(const roster_error *err, roster_language lang,
			    char *buf, size_t size)
{
	if (buf && size)
		buf[0] = '\0';
	if (!err || !buf || !size || (int)lang < 0 ||
	    lang >= ROSTER_LANG_COUNT)
		return ROSTER_EINVAL;
	if (lang == err->lang) {
		size_t n = strlen(err->message);

		if (n >= size)
			n = whole_chars(err->message, size - 1);
		memcpy(buf, err->message, n);
		buf[n] = '\0';
	} else {
		message_of(err, lang, buf, size);
	}
	return ROSTER_OK;
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
