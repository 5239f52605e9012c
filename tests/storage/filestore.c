/*
 * filestore.c: the file store on its own. What is committed comes back
 * after reopening, versions and all, and versions never repeat; a last
 * frame cut at any byte is dropped and the store is as before it; damage
 * anywhere else is refused with its byte offset, and so is a file that is
 * not a store; two handles on one path see each other's commits and a
 * stale write conflicts; compaction keeps data and versions; hostile files
 * never crash the reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "snapshot.h"

#define ST (roster_filestore_methods())

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

typedef struct tmpdir {
	char dir[64];
	char path[96];
} tmpdir;

static void tmp_new(tmpdir *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/roster-fs-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/store", t->dir);
}

static void tmp_free(tmpdir *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static roster_filestore *open_ok(const char *path)
{
	roster_filestore *fs = NULL;
	int rc = roster_filestore_open(path, ROSTER_FILESTORE_NOSYNC, &fs);

	if (rc)
		fail_msg("open %s: %d %s", path, rc,
			 roster_error_message(roster_error_last()));
	return fs;
}

/* One committed put; returns the new version. */
static uint64_t put1(roster_filestore *fs, const char *key, const void *v,
		     size_t n, uint64_t expected)
{
	uint64_t ver = 0;

	assert_int_equal(ST->begin(fs), 0);
	assert_int_equal(ST->put(fs, key, v, n, expected, &ver), 0);
	assert_int_equal(ST->commit(fs), 0);
	assert_true(ver > 0);
	return ver;
}

static void remove1(roster_filestore *fs, const char *key, uint64_t expected)
{
	assert_int_equal(ST->begin(fs), 0);
	assert_int_equal(ST->remove(fs, key, expected), 0);
	assert_int_equal(ST->commit(fs), 0);
}

/* A rendering of a scan, sorted by key: "key=hex@version\n" per row. */
typedef struct rows {
	char **v;
	size_t n, cap;
} rows;

static int collect(const char *key, const void *value, size_t len,
		   uint64_t version, void *data)
{
	rows *r = data;
	char *s = malloc(strlen(key) + 2 * len + 40), *p;
	size_t i;

	assert_non_null(s);
	p = s + sprintf(s, "%s=", key);
	for (i = 0; i < len; i++)
		p += sprintf(p, "%02x", ((const unsigned char *)value)[i]);
	sprintf(p, "@%llu\n", (unsigned long long)version);
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->v = realloc(r->v, r->cap * sizeof(char *));
		assert_non_null(r->v);
	}
	r->v[r->n++] = s;
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *dump_prefix(roster_filestore *fs, const char *prefix)
{
	rows r = { NULL, 0, 0 };
	size_t i, total = 1;
	char *out;

	assert_int_equal(ST->scan(fs, prefix, collect, &r), 0);
	if (r.n)
		qsort(r.v, r.n, sizeof(char *), by_str);
	for (i = 0; i < r.n; i++)
		total += strlen(r.v[i]);
	out = malloc(total);
	assert_non_null(out);
	out[0] = '\0';
	for (i = 0; i < r.n; i++) {
		strcat(out, r.v[i]);
		free(r.v[i]);
	}
	free(r.v);
	return out;
}

static char *dump(roster_filestore *fs)
{
	return dump_prefix(fs, "");
}

/* The dump of the store at `path` through a new handle. */
static char *dump_path(const char *path)
{
	roster_filestore *fs = open_ok(path);
	char *s = dump(fs);

	roster_filestore_free(fs);
	return s;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void spill(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static ino_t file_ino(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* ------------------------------------------------------------------ */
/* Round trip                                                          */

static void test_round_trip(void **state)
{
	static const unsigned char bin[] = { 0, 1, 2, 0xFF, 0, 'x' };
	tmpdir t;
	roster_filestore *fs;
	uint64_t ver, v1, v2;
	char *a, *b;

	(void)state;
	tmp_new(&t);
	fs = open_ok(t.path);
	a = dump(fs);
	assert_string_equal(a, ""); /* a new store is empty */
	free(a);
	/* one transaction of several writes, seen by its own later ones */
	assert_int_equal(ST->begin(fs), 0);
	assert_int_equal(ST->put(fs, "r/1", "one", 3, 0, &v1), 0);
	assert_int_equal(ST->put(fs, "r/1", "uno", 3, 0, &ver),
			 ROSTER_ECONFLICT);
	assert_int_equal(ST->put(fs, "r/1", "uno", 3, v1, &v2), 0);
	assert_true(v2 > v1);
	assert_int_equal(ST->put(fs, "r/2", bin, sizeof(bin), 0, &ver), 0);
	assert_int_equal(ST->put(fs, "empty value", "", 0, 0, &ver), 0);
	assert_int_equal(ST->put(fs, "gone", "x", 1, 0, &ver), 0);
	assert_int_equal(ST->remove(fs, "gone", ver), 0);
	assert_int_equal(ST->remove(fs, "gone", ver), ROSTER_ECONFLICT);
	assert_int_equal(ST->put(fs, "m/counters", "\x2a\0\0\0\0\0\0\0", 8, 0,
				 &ver), 0);
	/* nothing is visible before commit */
	assert_int_equal(ST->commit(fs), 0);
	/* a rolled back transaction leaves nothing */
	assert_int_equal(ST->begin(fs), 0);
	assert_int_equal(ST->put(fs, "r/3", "three", 5, 0, &ver), 0);
	assert_int_equal(ST->remove(fs, "r/1", v2), 0);
	assert_int_equal(ST->rollback(fs), 0);
	a = dump(fs);
	assert_non_null(strstr(a, "r/1=756e6f@"));
	assert_non_null(strstr(a, "r/2=000102ff0078@"));
	assert_non_null(strstr(a, "empty value=@"));
	assert_null(strstr(a, "gone"));
	assert_null(strstr(a, "r/3"));
	/* a scan by prefix */
	b = dump_prefix(fs, "r/");
	assert_null(strstr(b, "empty"));
	assert_null(strstr(b, "m/counters"));
	assert_non_null(strstr(b, "r/2="));
	free(b);
	b = dump_prefix(fs, "nothing");
	assert_string_equal(b, "");
	free(b);
	roster_filestore_free(fs);

	/* all of it, versions included, after reopening, with and without
	 * sync */
	b = dump_path(t.path);
	assert_string_equal(a, b);
	free(b);
	fs = NULL;
	assert_int_equal(roster_filestore_open(t.path, 0, &fs), 0);
	b = dump(fs);
	assert_string_equal(a, b);
	free(b);
	/* and the reopened store goes on from there */
	remove1(fs, "r/1", v2);
	roster_filestore_free(fs);
	b = dump_path(t.path);
	assert_null(strstr(b, "r/1="));
	free(b);
	free(a);
	tmp_free(&t);
}

/* The directory layer on top: a world committed on a file store reads
 * back the same through a new handle. */
static void test_directory_on_file(void **state)
{
	tmpdir t;
	roster_filestore *fs = NULL, *fs2;
	roster_directory_options o;
	roster_directory *d = NULL;
	roster_id id, found;
	world *w;
	char *a, *b;

	(void)state;
	tmp_new(&t);
	assert_int_equal(roster_filestore_open(t.path, 0, &fs), 0);
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = roster_filestore_methods();
	o.store = fs;
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Zoë",
				    "Dvořáková", "zoe@acme.example", 0, &id), 0);
	a = snapshot_take(w->dir);
	fs2 = open_ok(t.path);
	o.store = fs2;
	assert_int_equal(roster_directory_open(&d, &o), 0);
	b = snapshot_take(d);
	snapshot_assert_equal(a, b, "reopened through another handle");
	assert_int_equal(roster_user_find_login(&found, d, "zoe@acme.example"),
			 0);
	assert_int_equal(found, id);
	free(a);
	free(b);
	roster_directory_free(d);
	world_free(w);
	roster_filestore_free(fs2);
	roster_filestore_free(fs);
	tmp_free(&t);
}

/* ------------------------------------------------------------------ */
/* Versions                                                            */

static void test_versions_never_repeat(void **state)
{
	tmpdir t;
	roster_filestore *fs;
	uint64_t last = 0, v, big[200];
	char value[2048];
	int i, round;

	(void)state;
	memset(value, 'v', sizeof(value));
	tmp_new(&t);
	for (round = 0; round < 4; round++) {
		fs = open_ok(t.path);
		/* a key removed and written again gets a new version */
		v = put1(fs, "k", "1", 1, 0);
		assert_true(v > last);
		last = v;
		remove1(fs, "k", v);
		v = put1(fs, "k", "2", 1, 0);
		assert_true(v > last);
		last = v;
		remove1(fs, "k", v);
		/* versions handed out in a rolled back transaction are not
		 * handed out again by this handle */
		assert_int_equal(ST->begin(fs), 0);
		assert_int_equal(ST->put(fs, "x", "x", 1, 0, &v), 0);
		assert_true(v > last);
		last = v;
		assert_int_equal(ST->rollback(fs), 0);
		/* enough rewrites of one key to compact the log */
		for (i = 0; i < 200; i++) {
			big[i] = put1(fs, "big", value, sizeof(value),
				      i ? big[i - 1] : (round ? big[199] : 0));
			assert_true(big[i] > last);
			last = big[i];
		}
		roster_filestore_free(fs);
		/* the clock survives, though the key "k" is gone */
	}
	/* the compactions kept the log small */
	assert_true(file_size(t.path) < 200 * sizeof(value));
	tmp_free(&t);
}

/* ------------------------------------------------------------------ */
/* Torn tail and damage                                                */

/* Build a store of a few transactions; sizes[i] is the file size after
 * the i-th commit (sizes[0] the empty store's). */
static size_t build(const char *path, uint64_t *sizes, size_t max)
{
	roster_filestore *fs = open_ok(path);
	uint64_t va = 0, vb = 0, v;
	size_t n = 0;

	sizes[n++] = file_size(path);
	va = put1(fs, "r/a", "alpha", 5, 0);
	sizes[n++] = file_size(path);
	vb = put1(fs, "r/b", "beta", 4, 0);
	sizes[n++] = file_size(path);
	va = put1(fs, "r/a", "ALPHA", 5, va);
	sizes[n++] = file_size(path);
	remove1(fs, "r/b", vb);
	sizes[n++] = file_size(path);
	/* the last: several writes in one frame */
	assert_int_equal(ST->begin(fs), 0);
	assert_int_equal(ST->put(fs, "r/c", "gamma", 5, 0, &v), 0);
	assert_int_equal(ST->put(fs, "r/a", "", 0, va, &v), 0);
	assert_int_equal(ST->put(fs, "r/d", "delta", 5, 0, &v), 0);
	assert_int_equal(ST->remove(fs, "r/d", v), 0);
	assert_int_equal(ST->commit(fs), 0);
	sizes[n++] = file_size(path);
	assert_true(n <= max);
	roster_filestore_free(fs);
	return n;
}

static void test_torn_tail_every_length(void **state)
{
	tmpdir t;
	uint64_t sizes[8];
	size_t n, len, cut;
	unsigned char *whole;
	char copy[128], *before, *after, *got;
	roster_filestore *fs;
	uint64_t v;

	(void)state;
	tmp_new(&t);
	n = build(t.path, sizes, 8);
	whole = slurp(t.path, &len);
	assert_int_equal(len, sizes[n - 1]);
	/* the state before and after the last frame */
	spill(t.path, whole, sizes[n - 2]);
	before = dump_path(t.path);
	spill(t.path, whole, len);
	after = dump_path(t.path);
	assert_string_not_equal(before, after);
	snprintf(copy, sizeof(copy), "%s/copy", t.dir);
	for (cut = sizes[n - 2]; cut < len; cut++) {
		spill(copy, whole, cut);
		got = dump_path(copy);
		if (strcmp(got, before) != 0)
			fail_msg("cut at %zu of %zu: got\n%s\nexpected\n%s",
				 cut, len, got, before);
		free(got);
		/* the torn frame was cut off the file */
		assert_int_equal(file_size(copy), sizes[n - 2]);
	}
	print_message("last frame (%zu bytes) cut at each of its lengths\n",
		      (size_t)(len - sizes[n - 2]));
	/* ... and the store goes on from there */
	spill(copy, whole, len - 1);
	fs = open_ok(copy);
	v = put1(fs, "r/e", "epsilon", 7, 0);
	(void)v;
	roster_filestore_free(fs);
	got = dump_path(copy);
	assert_non_null(strstr(got, "r/e="));
	assert_null(strstr(got, "r/c="));
	free(got);

	/* a header cut short is a new store being created */
	spill(copy, whole, 5);
	got = dump_path(copy);
	assert_string_equal(got, "");
	free(got);
	assert_int_equal(file_size(copy), 16);

	/* zeros where a power cut left the file longer than its data */
	{
		unsigned char *z = calloc(1, len + 700);
		assert_non_null(z);
		memcpy(z, whole, len);
		spill(copy, z, len + 700);
		got = dump_path(copy);
		assert_string_equal(got, after);
		free(got);
		assert_int_equal(file_size(copy), len);
		free(z);
	}
	/* the last frame's header lost while later bytes of it reached the
	 * disk (pages written out of order): each header byte garbled, and
	 * the whole header zeroed, the frame is dropped */
	for (cut = sizes[n - 2]; cut <= sizes[n - 2] + 12; cut++) {
		unsigned char saved[12];

		memcpy(saved, whole + sizes[n - 2], 12);
		if (cut < sizes[n - 2] + 12)
			whole[cut] ^= 0x5A;
		else
			memset(whole + sizes[n - 2], 0, 12);
		spill(copy, whole, len);
		got = dump_path(copy);
		if (strcmp(got, before) != 0)
			fail_msg("header byte %zu: got\n%s", cut, got);
		free(got);
		assert_int_equal(file_size(copy), sizes[n - 2]);
		memcpy(whole + sizes[n - 2], saved, 12);
	}
	/* a last frame written but garbled (a power cut mid-write): each
	 * byte of its body flipped in turn, it is dropped */
	for (cut = sizes[n - 2] + 12; cut < len; cut++) {
		whole[cut] ^= 0x5A;
		spill(copy, whole, len);
		got = dump_path(copy);
		assert_string_equal(got, before);
		free(got);
		whole[cut] ^= 0x5A;
	}
	free(before);
	free(after);
	free(whole);
	tmp_free(&t);
}

static void test_damage_refused(void **state)
{
	tmpdir t;
	uint64_t sizes[8];
	size_t n, len, pos, k, refused = 0;
	unsigned char *whole, *check;
	char copy[128], want[64];
	roster_filestore *fs;

	(void)state;
	tmp_new(&t);
	n = build(t.path, sizes, 8);
	whole = slurp(t.path, &len);
	snprintf(copy, sizeof(copy), "%s/copy", t.dir);
	/* every byte of every frame but the last */
	for (k = 0; k + 2 < n; k++) {
		for (pos = sizes[k]; pos < sizes[k + 1]; pos++) {
			size_t clen;

			whole[pos] ^= 0x01;
			spill(copy, whole, len);
			fs = (roster_filestore *)&fs;
			assert_int_equal(roster_filestore_open(copy, 0, &fs),
					 ROSTER_EPARSE);
			assert_null(fs);
			assert_string_equal(roster_error_rule(roster_error_last()),
					    "storage.file");
			snprintf(want, sizeof(want), " at byte %llu",
				 (unsigned long long)sizes[k]);
			if (!strstr(roster_error_message(roster_error_last()),
				    want))
				fail_msg("flip at %zu: \"%s\" lacks \"%s\"", pos,
					 roster_error_message(
						 roster_error_last()),
					 want);
			/* the file is left as it was */
			check = slurp(copy, &clen);
			assert_int_equal(clen, len);
			assert_memory_equal(check, whole, len);
			free(check);
			whole[pos] ^= 0x01;
			refused++;
		}
	}
	print_message("%zu flipped bytes in earlier frames refused\n", refused);
	assert_true(refused > 50);
	/* the header */
	for (pos = 0; pos < 16; pos++) {
		whole[pos] ^= 0x20;
		spill(copy, whole, len);
		fs = NULL;
		assert_int_equal(roster_filestore_open(copy, 0, &fs),
				 ROSTER_EPARSE);
		assert_string_equal(roster_error_rule(roster_error_last()),
				    "storage.file");
		whole[pos] ^= 0x20;
	}
	/* a later format */
	{
		static const unsigned char later[16] = {
			'r', 'o', 's', 't', 'e', 'r', 'f', 's', 2, 0, 0, 0
		};
		unsigned char h[16];
		uint32_t c;
		memcpy(h, later, 16);
		/* crc32 of the first 12 bytes, computed bitwise */
		{
			uint32_t crc = 0xFFFFFFFFu;
			int i, b;
			for (i = 0; i < 12; i++) {
				crc ^= h[i];
				for (b = 0; b < 8; b++)
					crc = crc & 1 ? (crc >> 1) ^ 0xEDB88320u
						      : crc >> 1;
			}
			c = crc ^ 0xFFFFFFFFu;
		}
		h[12] = (unsigned char)c;
		h[13] = (unsigned char)(c >> 8);
		h[14] = (unsigned char)(c >> 16);
		h[15] = (unsigned char)(c >> 24);
		spill(copy, h, 16);
		assert_int_equal(roster_filestore_open(copy, 0, &fs),
				 ROSTER_EPARSE);
		assert_non_null(strstr(roster_error_message(roster_error_last()),
				       "format 2"));
	}
	free(whole);
	tmp_free(&t);
}

static void test_not_a_store(void **state)
{
	static const char *const texts[] = {
		"hello\n",
		"#!/bin/sh\necho this is a script, not a store\n",
		"rosterfX and more bytes after the magic",
		"\177ELF\002\001\001 (the start of an executable)",
	};
	tmpdir t;
	roster_filestore *fs = NULL;
	size_t i, len;
	unsigned char *after;

	(void)state;
	tmp_new(&t);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		spill(t.path, texts[i], strlen(texts[i]) + 1);
		assert_int_equal(roster_filestore_open(t.path, 0, &fs),
				 ROSTER_EPARSE);
		assert_null(fs);
		assert_string_equal(roster_error_rule(roster_error_last()),
				    "storage.file");
		assert_non_null(strstr(roster_error_message(roster_error_last()),
				       "/store: "));
		after = slurp(t.path, &len);
		assert_int_equal(len, strlen(texts[i]) + 1);
		assert_memory_equal(after, texts[i], len);
		free(after);
	}
	/* a directory, a missing directory */
	assert_int_equal(roster_filestore_open(t.dir, 0, &fs), ROSTER_ESTORAGE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "storage.failed");
	assert_non_null(strstr(roster_error_value(roster_error_last()),
			       strerror(EISDIR)));
	/* a FIFO is no regular file */
	unlink(t.path);
	assert_int_equal(mkfifo(t.path, 0600), 0);
	assert_int_equal(roster_filestore_open(t.path, 0, &fs), ROSTER_EPARSE);
	assert_non_null(strstr(roster_error_message(roster_error_last()),
			       "not a regular file"));
	unlink(t.path);
	/* an empty file becomes a store */
	spill(t.path, "", 0);
	fs = open_ok(t.path);
	roster_filestore_free(fs);
	assert_int_equal(file_size(t.path), 16);
	tmp_free(&t);
}

/* Random damage anywhere: an error or a store, never a crash. */
static void test_hostile_files(void **state)
{
	tmpdir t;
	uint64_t sizes[8];
	size_t len, i, ok = 0, refused = 0;
	unsigned char *whole, *buf;
	unsigned seed = 12345;
	roster_filestore *fs;

	(void)state;
	tmp_new(&t);
	build(t.path, sizes, 8);
	whole = slurp(t.path, &len);
	buf = malloc(len + 64);
	assert_non_null(buf);
	for (i = 0; i < 3000; i++) {
		size_t n = len, k, flips;
		int rc;

		memcpy(buf, whole, len);
		seed = seed * 1103515245u + 12345u;
		flips = 1 + (seed >> 16) % 4;
		for (k = 0; k < flips; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[16 + (seed >> 8) % (len - 16)] = (unsigned char)(seed >> 24);
		}
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 3 == 0)
			n = 16 + (seed >> 4) % (len - 16);
		spill(t.path, buf, n);
		fs = NULL;
		rc = roster_filestore_open(t.path, ROSTER_FILESTORE_NOSYNC, &fs);
		assert_true(rc == 0 || rc == ROSTER_EPARSE);
		if (rc == 0) {
			char *s = dump(fs);
			free(s);
			roster_filestore_free(fs);
			ok++;
		} else {
			refused++;
		}
	}
	print_message("3000 damaged files: %zu opened, %zu refused\n", ok,
		      refused);
	free(buf);
	free(whole);
	tmp_free(&t);
}

/* zlib's crc32 (that of the format), computed bitwise. */
static uint32_t crc32_bits(const unsigned char *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = crc & 1 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
	}
	return crc ^ 0xFFFFFFFFu;
}

static void le32_to(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/*
 * A bad frame header followed by would-be frames (each length and its
 * checksum right, the body's wrong), one every 12 bytes, each running to
 * the end of the file: reading each body whole took time quadratic in
 * the size (a megabyte, ten seconds), before cutting the file at the bad
 * header. The search reads no more than twice the rest of the file and
 * refuses it, leaving it as it was.
 */
static void test_would_be_frames(void **state)
{
	enum { SIZE = 1 << 20 };
	tmpdir t;
	roster_filestore *fs = NULL;
	unsigned char *file = calloc(1, SIZE), *after;
	size_t pos, len;

	(void)state;
	assert_non_null(file);
	tmp_new(&t);
	memcpy(file, "rosterfs", 8);
	le32_to(file + 8, 1);
	le32_to(file + 12, crc32_bits(file, 12));
	/* 16: twelve zero bytes, a frame header whose checksum is wrong */
	for (pos = 28; pos + 12 <= SIZE; pos += 12) {
		le32_to(file + pos, (uint32_t)(SIZE - pos - 12));
		le32_to(file + pos + 4, crc32_bits(file + pos, 4));
		le32_to(file + pos + 8, 0xFFFFFFFFu);
	}
	spill(t.path, file, SIZE);
	assert_int_equal(roster_filestore_open(t.path, ROSTER_FILESTORE_NOSYNC,
					       &fs),
			 ROSTER_EPARSE);
	assert_null(fs);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "storage.file");
	assert_non_null(strstr(roster_error_message(roster_error_last()),
			       "bad frame header at byte 16"));
	after = slurp(t.path, &len);
	assert_int_equal(len, SIZE);
	assert_memory_equal(after, file, SIZE);
	free(after);
	/* a few short ones, as a torn frame's bytes could hold by chance,
	 * are still read: the frame is torn and cut off */
	memset(file + 28, 0, SIZE - 28);
	for (pos = 28; pos < 28 + 3 * 12; pos += 12) {
		le32_to(file + pos, 64);
		le32_to(file + pos + 4, crc32_bits(file + pos, 4));
		le32_to(file + pos + 8, 0xFFFFFFFFu);
	}
	spill(t.path, file, SIZE);
	fs = open_ok(t.path);
	roster_filestore_free(fs);
	assert_int_equal(file_size(t.path), 16);
	free(file);
	tmp_free(&t);
}

/* ------------------------------------------------------------------ */
/* Several handles                                                     */

static uint64_t version_of(roster_filestore *fs, const char *key)
{
	char *s = dump_prefix(fs, key), *at = strrchr(s, '@');
	uint64_t v = at ? strtoull(at + 1, NULL, 10) : 0;

	free(s);
	return v;
}

static void test_two_handles(void **state)
{
	tmpdir t;
	roster_filestore *h1, *h2;
	uint64_t v1, v2, ver;
	char *a, *b;

	(void)state;
	tmp_new(&t);
	h1 = open_ok(t.path);
	h2 = open_ok(t.path);
	v1 = put1(h1, "k", "one", 3, 0);
	/* the second handle sees it at its next scan ... */
	assert_int_equal(version_of(h2, "k"), v1);
	/* ... and at its next begin: a write as if it were absent conflicts */
	assert_int_equal(ST->begin(h2), 0);
	assert_int_equal(ST->put(h2, "k", "two", 3, 0, &ver), ROSTER_ECONFLICT);
	assert_int_equal(ST->put(h2, "k", "two", 3, v1, &v2), 0);
	assert_true(v2 > v1);
	assert_int_equal(ST->commit(h2), 0);
	/* the first handle, which read v1, is now stale */
	assert_int_equal(ST->begin(h1), 0);
	assert_int_equal(ST->put(h1, "k", "three", 5, v1, &ver),
			 ROSTER_ECONFLICT);
	assert_int_equal(ST->remove(h1, "k", v1), ROSTER_ECONFLICT);
	/* writes of other keys get versions past the other handle's */
	assert_int_equal(ST->put(h1, "other", "o", 1, 0, &ver), 0);
	assert_true(ver > v2);
	assert_int_equal(ST->commit(h1), 0);
	/* versions a handle handed out and rolled back are ahead of the
	 * others' clock: their later commits still read fine */
	assert_int_equal(ST->begin(h1), 0);
	assert_int_equal(ST->put(h1, "t1", "x", 1, 0, &ver), 0);
	assert_int_equal(ST->put(h1, "t2", "x", 1, 0, &ver), 0);
	assert_int_equal(ST->put(h1, "t3", "x", 1, 0, &ver), 0);
	assert_int_equal(ST->rollback(h1), 0);
	v1 = put1(h2, "after", "a", 1, 0);
	assert_true(v1 < ver);
	v2 = put1(h1, "after", "b", 1, v1);
	assert_true(v2 > ver);
	a = dump(h1);
	b = dump(h2);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "k=74776f@")); /* "two" */
	free(b);
	b = dump_path(t.path);
	assert_string_equal(a, b);
	free(a);
	free(b);
	roster_filestore_free(h1);
	roster_filestore_free(h2);
	tmp_free(&t);
}

/* Threads, each with a handle or sharing one, and processes, each with
 * its own, increment one counter with conditional writes: no increment
 * is lost. */
typedef struct counter {
	const char *path;
	roster_filestore *shared;
	int rounds, conflicts, failures;
} counter;

static int read_count(const char *key, const void *value, size_t len,
		      uint64_t version, void *data)
{
	uint64_t *out = data;
	char buf[32];

	(void)key;
	snprintf(buf, sizeof(buf), "%.*s", (int)len, (const char *)value);
	out[0] = strtoull(buf, NULL, 10);
	out[1] = version;
	return 0;
}

static int count_up(roster_filestore *fs, int rounds, int *conflicts)
{
	uint64_t cur[2] = { 0, 0 }, ver;
	char buf[32];
	int i, rc;

	for (i = 0; i < rounds; i++) {
		for (;;) {
			cur[0] = cur[1] = 0;
			if (ST->scan(fs, "count", read_count, cur))
				return -1;
			snprintf(buf, sizeof(buf), "%llu",
				 (unsigned long long)cur[0] + 1);
			if (ST->begin(fs))
				return -1;
			rc = ST->put(fs, "count", buf, strlen(buf), cur[1],
				     &ver);
			if (rc == 0)
				rc = ST->commit(fs);
			else
				ST->rollback(fs);
			if (rc == 0)
				break;
			if (rc != ROSTER_ECONFLICT)
				return -1;
			(*conflicts)++;
		}
	}
	return 0;
}

static void *count_thread(void *arg)
{
	counter *c = arg;
	roster_filestore *fs = c->shared;

	if (!fs && roster_filestore_open(c->path, ROSTER_FILESTORE_NOSYNC, &fs)) {
		c->failures++;
		return NULL;
	}
	if (count_up(fs, c->rounds, &c->conflicts))
		c->failures++;
	if (!c->shared)
		roster_filestore_free(fs);
	return NULL;
}

static void test_no_lost_increment(void **state)
{
	enum { THREADS = 4, PROCS = 2, ROUNDS = 150 };
	tmpdir t;
	roster_filestore *shared, *fs;
	counter c[THREADS];
	pthread_t th[THREADS];
	pid_t pid[PROCS];
	uint64_t cur[2] = { 0, 0 };
	int i, status, conflicts = 0;

	(void)state;
	tmp_new(&t);
	shared = open_ok(t.path);
	for (i = 0; i < PROCS; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			int cf = 0;
			if (roster_filestore_open(t.path,
						  ROSTER_FILESTORE_NOSYNC, &fs) ||
			    count_up(fs, ROUNDS, &cf))
				_exit(1);
			roster_filestore_free(fs);
			_exit(0);
		}
	}
	for (i = 0; i < THREADS; i++) {
		c[i].path = t.path;
		c[i].shared = i < 2 ? shared : NULL; /* two share a handle */
		c[i].rounds = ROUNDS;
		c[i].conflicts = c[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, count_thread,
						&c[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(c[i].failures, 0);
		conflicts += c[i].conflicts;
	}
	for (i = 0; i < PROCS; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	roster_filestore_free(shared);
	fs = open_ok(t.path);
	assert_int_equal(ST->scan(fs, "count", read_count, cur), 0);
	assert_int_equal(cur[0], (THREADS + PROCS) * ROUNDS);
	print_message("%d increments by %d threads and %d processes, "
		      "%d conflicts in the threads\n",
		      (THREADS + PROCS) * ROUNDS, THREADS, PROCS, conflicts);
	roster_filestore_free(fs);
	tmp_free(&t);
}

/* ------------------------------------------------------------------ */
/* Compaction                                                          */

static void test_compaction(void **state)
{
	tmpdir t;
	roster_filestore *fs, *other;
	char value[3000], key[32], tmp[128], *a, *b;
	uint64_t vers[20], v = 0, max = 0;
	ino_t ino;
	int i, replaced = 0;

	(void)state;
	tmp_new(&t);
	fs = open_ok(t.path);
	other = open_ok(t.path); /* opened before, reads the new file after */
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "r/%02d", i);
		vers[i] = put1(fs, key, key, strlen(key), 0);
	}
	remove1(fs, "r/05", vers[5]);
	ino = file_ino(t.path);
	memset(value, 'c', sizeof(value));
	for (i = 0; i < 400; i++) {
		value[0] = (char)('a' + i % 26);
		v = put1(fs, "hot", value, sizeof(value), v);
		assert_true(v > max);
		max = v;
		if (file_ino(t.path) != ino) {
			replaced++;
			ino = file_ino(t.path);
		}
	}
	print_message("400 writes of 3000 bytes: %d compactions, file %llu "
		      "bytes\n",
		      replaced, (unsigned long long)file_size(t.path));
	assert_true(replaced >= 2);
	assert_true(file_size(t.path) < 400 * sizeof(value) / 4);
	snprintf(tmp, sizeof(tmp), "%s.tmp", t.path);
	assert_int_equal(access(tmp, F_OK), -1);
	/* data and versions as they were, for every handle */
	a = dump(fs);
	for (i = 0; i < 20; i++) {
		char want[64];
		snprintf(key, sizeof(key), "r/%02d", i);
		snprintf(want, sizeof(want), "%s=", key);
		if (i == 5) {
			assert_null(strstr(a, want));
			continue;
		}
		assert_int_equal(version_of(fs, key), vers[i]);
	}
	assert_int_equal(version_of(fs, "hot"), v);
	b = dump(other);
	assert_string_equal(a, b);
	free(b);
	b = dump_path(t.path);
	assert_string_equal(a, b);
	free(b);
	/* the other handle writes on the new file, conditionally */
	assert_int_equal(ST->begin(other), 0);
	assert_int_equal(ST->put(other, "hot", "x", 1, v - 1, &max),
			 ROSTER_ECONFLICT);
	assert_int_equal(ST->put(other, "hot", "x", 1, v, &max), 0);
	assert_int_equal(ST->commit(other), 0);
	assert_true(max > v);
	roster_filestore_free(other);
	roster_filestore_free(fs);
	/* the clock outlives the compactions: no version comes back */
	fs = open_ok(t.path);
	v = put1(fs, "r/05", "again", 5, 0);
	assert_true(v > max);
	roster_filestore_free(fs);
	free(a);
	tmp_free(&t);
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */

static void test_bad_arguments(void **state)
{
	tmpdir t;
	roster_filestore *fs = (roster_filestore *)&fs;

	(void)state;
	tmp_new(&t);
	assert_int_equal(roster_filestore_open(NULL, 0, &fs), ROSTER_EINVAL);
	assert_null(fs);
	assert_string_equal(roster_error_field(roster_error_last()), "path");
	assert_int_equal(roster_filestore_open(t.path, 0, NULL), ROSTER_EINVAL);
	assert_string_equal(roster_error_field(roster_error_last()), "out");
	assert_int_equal(roster_filestore_open(t.path, 4, &fs), ROSTER_EINVAL);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "arg.range");
	assert_int_equal(access(t.path, F_OK), -1);
	roster_filestore_free(NULL);
	tmp_free(&t);
}

/*
 * A store refused before it was read leaves no file behind: a path whose
 * lock file's name is too long for the system (the store's own name
 * fits) created an empty store file, then failed on the lock file.
 */
static void test_refused_leaves_nothing(void **state)
{
	tmpdir t;
	roster_filestore *fs = (roster_filestore *)&fs;
	char *path = malloc(PATH_MAX + 64);
	size_t n;

	(void)state;
	assert_non_null(path);
	tmp_new(&t);
	/* directories of 200 bytes down to about PATH_MAX - 250 bytes */
	snprintf(path, PATH_MAX, "%s", t.dir);
	while (strlen(path) < PATH_MAX - 250) {
		n = strlen(path);
		path[n] = '/';
		memset(path + n + 1, 'd', 200);
		path[n + 201] = '\0';
		assert_int_equal(mkdir(path, 0700), 0);
	}
	/* the store's name ends 3 bytes short of PATH_MAX - 1, its lock
	 * file's ("<path>.lock") 2 bytes past it */
	n = strlen(path);
	path[n] = '/';
	memset(path + n + 1, 's', PATH_MAX - 4 - (n + 1));
	path[PATH_MAX - 4] = '\0';
	assert_int_equal(roster_filestore_open(path, ROSTER_FILESTORE_NOSYNC,
					       &fs),
			 ROSTER_ESTORAGE);
	assert_null(fs);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "storage.failed");
	assert_non_null(strstr(roster_error_value(roster_error_last()),
			       strerror(ENAMETOOLONG)));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	/* a store that exists is left as it was, created by another way */
	assert_int_equal(close(open(path, O_WRONLY | O_CREAT, 0600)), 0);
	assert_int_equal(roster_filestore_open(path, ROSTER_FILESTORE_NOSYNC,
					       &fs),
			 ROSTER_ESTORAGE);
	assert_int_equal(file_size(path), 0);
	free(path);
	tmp_free(&t); /* the directories too */
}

/*
 * A path that is a symbolic link to no file (through links to links,
 * relative ones too) names the store at its target, created as an absent
 * path's is: under the lock, and taken back when the open fails after. A
 * target whose lock file's name is too long once left an empty file.
 */
static void test_dangling_link(void **state)
{
	tmpdir t;
	roster_filestore *fs = NULL;
	char link1[160], link2[160], target[512], name[253];

	(void)state;
	tmp_new(&t);
	/* link1 -> link2 (relative) -> store (absolute, absent) */
	snprintf(link1, sizeof(link1), "%s/link1", t.dir);
	snprintf(link2, sizeof(link2), "%s/link2", t.dir);
	assert_int_equal(symlink(t.path, link2), 0);
	assert_int_equal(symlink("link2", link1), 0);
	fs = open_ok(link1);
	roster_filestore_free(fs);
	assert_int_equal(file_size(t.path), 16); /* its header */
	/* then opened through the links as it is */
	fs = open_ok(link1);
	roster_filestore_free(fs);
	/* a target of 252 bytes, whose lock file's name is too long */
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(target, sizeof(target), "%s/%s", t.dir, name);
	assert_int_equal(unlink(link2), 0);
	assert_int_equal(symlink(target, link2), 0);
	assert_int_equal(roster_filestore_open(link1, ROSTER_FILESTORE_NOSYNC,
					       &fs),
			 ROSTER_ESTORAGE);
	assert_null(fs);
	assert_non_null(strstr(roster_error_value(roster_error_last()),
			       strerror(ENAMETOOLONG)));
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	/* a loop of links is refused, creating nothing */
	assert_int_equal(unlink(link2), 0);
	assert_int_equal(symlink("link1", link2), 0);
	assert_int_equal(roster_filestore_open(link1, ROSTER_FILESTORE_NOSYNC,
					       &fs),
			 ROSTER_ESTORAGE);
	assert_null(fs);
	snprintf(target, sizeof(target), "%s/link1.lock", t.dir);
	assert_int_equal(access(target, F_OK), -1);
	/* a chain of 41 links to no file: more than the kernel follows,
	 * refused, creating nothing; 39 of them lead to the store, read
	 * link by link */
	{
		char from[160], to[160];
		int i;

		for (i = 0; i < 41; i++) {
			snprintf(from, sizeof(from), "%s/c%d", t.dir, i);
			snprintf(to, sizeof(to), "c%d", i + 1);
			assert_int_equal(symlink(to, from), 0);
		}
		snprintf(from, sizeof(from), "%s/c0", t.dir);
		assert_int_equal(roster_filestore_open(from,
						       ROSTER_FILESTORE_NOSYNC,
						       &fs),
				 ROSTER_ESTORAGE);
		assert_null(fs);
		assert_non_null(strstr(roster_error_value(roster_error_last()),
				       strerror(ELOOP)));
		snprintf(to, sizeof(to), "%s/c41", t.dir);
		assert_int_equal(access(to, F_OK), -1);
		snprintf(from, sizeof(from), "%s/c2", t.dir);
		fs = open_ok(from);
		roster_filestore_free(fs);
		assert_int_equal(file_size(to), 16);
	}
	tmp_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_directory_on_file),
		cmocka_unit_test(test_versions_never_repeat),
		cmocka_unit_test(test_torn_tail_every_length),
		cmocka_unit_test(test_damage_refused),
		cmocka_unit_test(test_not_a_store),
		cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_would_be_frames),
		cmocka_unit_test(test_two_handles),
		cmocka_unit_test(test_no_lost_increment),
		cmocka_unit_test(test_compaction),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_refused_leaves_nothing),
		cmocka_unit_test(test_dangling_link),
	};

	return cmocka_run_group_tests_name("storage/filestore", tests, NULL,
					   NULL);
}
