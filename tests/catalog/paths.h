/*
 * paths.h: files of the source tree for the catalog suites.
 *
 * Tests run in the build directory, where the compiler ran too, so the
 * tree is found from this file's path; ROSTER_SOURCE_ROOT overrides it.
 */
#ifndef ROSTER_TEST_CATALOG_PATHS_H
#define ROSTER_TEST_CATALOG_PATHS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `rel` (e.g. "data/catalog.xml") under the source root, into out. */
static inline void source_path(char *out, size_t size, const char *rel)
{
	const char *self = __FILE__, *cut = strstr(self, "tests/catalog/");
	const char *root = getenv("ROSTER_SOURCE_ROOT");

	if (root)
		snprintf(out, size, "%s/%s", root, rel);
	else if (cut)
		snprintf(out, size, "%.*s%s", (int)(cut - self), self, rel);
	else
		snprintf(out, size, "%s", rel);
}

/* The whole file, NUL-terminated, or NULL; *len its length. */
static inline char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(fp);
	return buf;
}

#endif
