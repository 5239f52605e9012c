/* markup.c: the scan of markup ahead of libxml2 (markup.h). */
#include "markup.h"

#include <string.h>

enum {
	S_TEXT,	     /* outside markup */
	S_LT,	     /* after '<' */
	S_TAG,	     /* in a tag, counting its '=' */
	S_QUOTE,     /* in a quoted value of a tag */
	S_BANG,	     /* after "<!" */
	S_BANG_DASH, /* after "<!-" */
	S_COMMENT,   /* in a comment, to "-->" */
	S_CDATA,     /* in "<![", to "]]>" */
	S_PI	     /* in "<?", to "?>" */
};

/* An element's tag ended: the elements open, how far the root went,
 * and a new count of the bytes to the next. */
static void element(rs_markup *m)
{
	m->between = 0;
	if (m->end_tag) {
		if (m->depth && !--m->depth && m->root == RS_MARKUP_ROOT_OPEN)
			m->root = RS_MARKUP_ROOT_CLOSED;
	} else if (!m->slash) {
		if (!m->depth++ && m->root == RS_MARKUP_NO_ROOT)
			m->root = RS_MARKUP_ROOT_OPEN;
	} else if (!m->depth && m->root == RS_MARKUP_NO_ROOT) {
		m->root = RS_MARKUP_ROOT_CLOSED; /* <users/> */
	}
}

void rs_markup_init(rs_markup *m)
{
	memset(m, 0, sizeof(*m));
	m->state = S_TEXT;
	m->line = 1;
}

int rs_markup_scan(rs_markup *m, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];

		m->line += c == '\n';
		if (m->between_max && ++m->between > m->between_max)
			return RS_MARKUP_BETWEEN;
		switch (m->state) {
		case S_TEXT:
			if (c == '<')
				m->state = S_LT;
			break;
		case S_LT:
			m->state = c == '!' ? S_BANG : c == '?' ? S_PI : S_TAG;
			m->attrs = 0;
			m->tag_line = m->line;
			m->run = 0;
			m->end_tag = c == '/';
			m->slash = 0;
			if (m->state == S_TAG && !m->end_tag)
				i--; /* the name's first byte, or '>' */
			break;
		case S_TAG:
			if (c == '"' || c == '\'') {
				m->quote = c;
				m->state = S_QUOTE;
			} else if (c == '>') {
				m->state = S_TEXT;
				element(m);
			} else if (c == '=' && ++m->attrs > RS_MARKUP_ATTRS) {
				return RS_MARKUP_ATTRS_MANY;
			}
			m->slash = c == '/';
			break;
		case S_QUOTE:
			if (c == m->quote)
				m->state = S_TAG;
			break;
		case S_BANG:
			/* in a document, "<!" not opening a comment or CDATA
			 * opens a DOCTYPE */
			if (c != '-' && c != '[')
				return RS_MARKUP_DOCTYPE;
			m->state = c == '-' ? S_BANG_DASH : S_CDATA;
			break;
		case S_BANG_DASH:
			/* "<!-" then another: not well-formed, for the
			 * parser to say */
			m->state = c == '-' ? S_COMMENT : S_TEXT;
			break;
		default: { /* S_COMMENT, S_CDATA, S_PI */
			int mark = m->state == S_COMMENT ? '-'
				   : m->state == S_CDATA ? ']' : '?';
			int need = m->state == S_PI ? 1 : 2;

			if (c == '>' && m->run >= need)
				m->state = S_TEXT;
			m->run = c == mark ? m->run + 1 : 0;
			break;
		}
		}
	}
	return RS_MARKUP_OK;
}
