/*
 * text.h: UTF-8 validation and normalisation, through utf8proc.
 */
#ifndef RS_TEXT_H
#define RS_TEXT_H

#include <stddef.h>

#include "alloc.h"

/* Why a text was refused (0 when accepted). */
enum rs_text_fault {
	RS_TEXT_OK = 0,
	RS_TEXT_NOMEM = 1,
	RS_TEXT_UTF8 = 2,    /* not valid UTF-8 */
	RS_TEXT_CONTROL = 3, /* a control or format character, or a noncharacter */
	RS_TEXT_EMPTY = 4,   /* nothing left after trimming */
	RS_TEXT_LONG = 5     /* more than max_chars characters */
};

/* Flags of rs_text_clean. */
#define RS_TEXT_MULTILINE 0x1 /* keep line breaks (notes) */
#define RS_TEXT_ALLOW_EMPTY 0x2
#define RS_TEXT_FOLD 0x4 /* also fold case: a key for comparisons */
/* a text read from a store: taken as the rules of earlier versions took
 * it, invisible (format) characters and marks alone included, so that a
 * store written before the rules grew stricter still opens */
#define RS_TEXT_STORED 0x8

/*
 * Validate `in`, normalise it to NFC, trim it and collapse runs of white
 * space to one space (line breaks kept with RS_TEXT_MULTILINE), refuse
 * control characters and more than `max_chars` characters. On success
 * *out is a fresh string.
 */
/* No text longer than this is taken, whatever it trims to: a form keeps
 * a copy of RS_TEXT_BYTES_MAX + 1 bytes at most (form.c), so a value it
 * cut is refused as too long, never kept cut. */
#define RS_TEXT_BYTES_MAX 65535

enum rs_text_fault rs_text_clean(const rs_alloc *al, const char *in,
				 unsigned flags, size_t max_chars, char **out);

/*
 * `in` in NFKC, into a fresh string *out: a password's form
 * (password.c). The buffers it passes through are wiped. Its time grows
 * as the square of a run of combining marks: bound `in` first. 0, -1 out
 * of memory, -2 when `in` is not UTF-8 (any bytes may be given).
 */
int rs_text_nfkc(const rs_alloc *al, const char *in, char **out);

/*
 * The words of `in` for search: case folded, accents stripped (through
 * utf8proc), split at every character that is not a letter or a digit,
 * each word preceded by one space (" marie helene dvorakova"). 0, -1 out
 * of memory, -2 not UTF-8.
 */
int rs_text_words(const rs_alloc *al, const char *in, char **out);
/* The same into dst[cap] (NUL-terminated, *len its length): 0, -1, -2,
 * or -3 when dst is too small (it may ask for up to 5 bytes more than
 * the words and their NUL take), dst then holding no words. */
int rs_text_words_to(const rs_alloc *al, const char *in, char *dst,
		     size_t cap, size_t *len);

/* 1 + the value of each byte as a lower-case hexadecimal digit, 0 for
 * any other: a table, as the digits decoded (token hashes, record keys)
 * are random and a test of ranges mispredicts on half of them. */
extern const unsigned char rs_hex_values[256];

/* The value of a lower-case hexadecimal digit, -1 for any other byte. */
static inline int rs_hex_digit(char c)
{
	return (int)rs_hex_values[(unsigned char)c] - 1;
}

/* The n bytes written as 2n lower-case hexadecimal digits at s, into
 * out: 0, or -1 at another byte (out then partly written). */
int rs_hex_bytes(const char *s, unsigned char *out, size_t n);

/* 1 when `s` (of `len` bytes) is valid UTF-8. */
int rs_utf8_valid(const char *s, size_t len);

/*
 * The length in bytes of the UTF-8 character at `s` (of at most `len`
 * bytes), 0 when invalid. *unsafe is set when it could forge or hide
 * text in a log line: a control character (C0 or C1), a line or paragraph
 * separator, or an invisible format character (bidirectional overrides).
 */
size_t rs_utf8_step(const char *s, size_t len, int *unsafe);
/*
 * The bytes at `s` (`len` > 0) that an error's value takes as one: a
 * character, or a byte that is not UTF-8. *escaped is set when the value
 * shows them as \xNN escapes, four bytes each (a byte that is not UTF-8,
 * or an unsafe character, as rs_utf8_step says).
 */
size_t rs_utf8_shown(const char *s, size_t len, int *escaped);
/* Is the character of n bytes at s white space of any kind (ASCII
 * space, tab and line ends, no-break and ideographic spaces, line and
 * paragraph separators)? */
int rs_utf8_is_space(const char *s, size_t n);
/* Is the character of n bytes at s a letter or a digit, as the words of
 * rs_text_words take it? */
int rs_utf8_is_word(const char *s, size_t n);

/* Number of characters of valid UTF-8 `s`. */
size_t rs_utf8_chars(const char *s);

/* Where to cut valid UTF-8 `s`, longer than `max` bytes, so that its
 * first bytes hold whole characters: the most bytes, `max` at most. */
size_t rs_utf8_cut(const char *s, size_t max);

#endif
