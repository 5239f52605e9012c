/*
 * roster-catalog: check, lint and print policy catalogs (docs/catalog.md).
 *
 *   roster-catalog [--lang=LANG] lint FILE...
 *       every finding as "FILE:LINE: CODE: MESSAGE", CODE one of
 *       unreachable, dead-change, ambiguous-packs, unused, duplicate,
 *       unknown; a file that cannot be loaded as "FILE: RULE: MESSAGE"
 *   roster-catalog check FILE...
 *       load each file; "FILE: ok" or "FILE: RULE: MESSAGE"
 *   roster-catalog default     print the catalog shipped with the library
 *   roster-catalog schema      print the RELAX NG schema of catalogs
 *
 * LANG (en, fr, cs) is the language of lint messages. Exit status: 0 when
 * every file loads and (lint) has no finding, 1 otherwise, 2 for a wrong
 * command line.
 */
#include <stdio.h>
#include <string.h>

#include <roster.h>

static const char *const code_names[] = {
	[ROSTER_LINT_UNREACHABLE] = "unreachable",
	[ROSTER_LINT_DEAD_CHANGE] = "dead-change",
	[ROSTER_LINT_AMBIGUOUS_PACKS] = "ambiguous-packs",
	[ROSTER_LINT_UNUSED] = "unused",
	[ROSTER_LINT_DUPLICATE] = "duplicate",
	[ROSTER_LINT_UNKNOWN] = "unknown",
};

static int usage(void)
{
	fputs("usage: roster-catalog [--lang=en|fr|cs] lint FILE...\n"
	      "       roster-catalog check FILE...\n"
	      "       roster-catalog default\n"
	      "       roster-catalog schema\n",
	      stderr);
	return 2;
}

static void print_error(const char *path)
{
	const roster_error *e = roster_error_last();

	printf("%s: %s: %s\n", path, roster_error_rule(e),
	       roster_error_message(e));
}

static int lint(const char *path, roster_language lang)
{
	roster_lint *l = NULL;
	size_t i, n;

	if (roster_catalog_lint_file(&l, path) != ROSTER_OK) {
		print_error(path);
		return 1;
	}
	n = roster_lint_count(l);
	for (i = 0; i < n; i++) {
		int code = roster_lint_code_of(l, i);
		const char *name = code > 0 && code <= ROSTER_LINT_UNKNOWN
					   ? code_names[code]
					   : "finding";

		printf("%s:%lu: %s: %s\n", path, roster_lint_line(l, i), name,
		       roster_lint_message(l, i, lang));
	}
	roster_lint_free(l);
	return n ? 1 : 0;
}

static int check(const char *path)
{
	roster_catalog *cat = NULL;

	if (roster_catalog_load_file(&cat, path) != ROSTER_OK) {
		print_error(path);
		return 1;
	}
	printf("%s: ok\n", path);
	roster_catalog_free(cat);
	return 0;
}

int main(int argc, char **argv)
{
	roster_language lang = ROSTER_LANG_EN;
	int i = 1, status = 0;
	const char *cmd;

	if (i < argc && strncmp(argv[i], "--lang=", 7) == 0) {
		if (roster_language_parse(&lang, argv[i] + 7) != ROSTER_OK)
			return usage();
		i++;
	}
	if (i >= argc)
		return usage();
	cmd = argv[i++];
	if (strcmp(cmd, "default") == 0 || strcmp(cmd, "schema") == 0) {
		if (i != argc)
			return usage();
		fputs(strcmp(cmd, "default") == 0 ? roster_catalog_default_xml()
						   : roster_catalog_schema(),
		      stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (i >= argc ||
	    (strcmp(cmd, "lint") != 0 && strcmp(cmd, "check") != 0))
		return usage();
	for (; i < argc; i++)
		status |= cmd[0] == 'l' ? lint(argv[i], lang) : check(argv[i]);
	if (fflush(stdout) != 0)
		status = 1;
	return status;
}
