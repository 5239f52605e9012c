/*
 * filestore.c: the fuzz target of the file store opening a hostile file.
 *
 * Each input is written to a file in a temporary directory and opened
 * with roster_filestore_open. A file refused must be refused with a code
 * open may return and an error naming a rule, and left as it was; a file
 * opened must be the input, or the input with a torn last frame cut off,
 * or a new store's header over a header cut short. A store opened is
 * then run through store.h: a directory opened on it, read, a second one
 * opened through a second handle (which reads the first's commits as
 * another process would), and the writes.
 *
 * Built as a libFuzzer binary with -Dfuzz=true (clang), and run over
 * corpus/filestore by replay.c under `meson test`.
 */
#include <fcntl.h>
#include <unistd.h>

#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The size of a file store's header (docs/storage.md). */
#define FUZZ_HEADER 16

static char fuzz_path[4200], fuzz_lock[4300], fuzz_tmp[4300];
static char fuzz_dir_path[4096];

static void fuzz_remove_files(void)
{
	unlink(fuzz_path);
	unlink(fuzz_lock);
	unlink(fuzz_tmp);
}

static void fuzz_cleanup(void)
{
	fuzz_remove_files();
	rmdir(fuzz_dir_path);
}

/* The files of the store, in a directory of this process's own. */
static void fuzz_paths(void)
{
	const char *tmp = getenv("TMPDIR");

	if (fuzz_path[0])
		return;
	snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "%s/roster-fuzz-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fuzz_check(mkdtemp(fuzz_dir_path) != NULL);
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/store", fuzz_dir_path);
	snprintf(fuzz_lock, sizeof(fuzz_lock), "%s.lock", fuzz_path);
	snprintf(fuzz_tmp, sizeof(fuzz_tmp), "%s.tmp", fuzz_path);
	atexit(fuzz_cleanup);
}

static void fuzz_write_file(const uint8_t *data, size_t size)
{
	int fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;

	fuzz_check(fd >= 0);
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);
		fuzz_check(n > 0);
		done += (size_t)n;
	}
	fuzz_check(close(fd) == 0);
}

/* The file's bytes now; *len its size. */
static uint8_t *fuzz_read_file(size_t *len)
{
	int fd = open(fuzz_path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;

	fuzz_check(fd >= 0);
	for (;;) {
		ssize_t r;
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			fuzz_check(buf != NULL);
		}
		r = read(fd, buf + n, cap - n);
		fuzz_check(r >= 0);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	roster_filestore *fs = NULL, *fs2 = NULL;
	uint8_t *now;
	size_t len;
	int rc;

	fuzz_paths();
	fuzz_remove_files();
	fuzz_write_file(data, size);
	rc = roster_filestore_open(fuzz_path, ROSTER_FILESTORE_NOSYNC, &fs);
	now = fuzz_read_file(&len);
	if (rc != ROSTER_OK) {
		const roster_error *e = roster_error_last();

		fuzz_check(fs == NULL);
		fuzz_check(rc == ROSTER_EPARSE || rc == ROSTER_ESTORAGE ||
			   rc == ROSTER_ENOMEM);
		fuzz_check(roster_error_code(e) == rc);
		fuzz_check(strcmp(roster_error_rule(e), "storage.file") == 0 ||
			   rc != ROSTER_EPARSE);
		fuzz_check(roster_error_message(e)[0] != '\0');
		/* a file refused is left as it was */
		fuzz_check(len == size && memcmp(now, data, size) == 0);
		free(now);
		return 0;
	}
	if (size < FUZZ_HEADER) {
		/* a header cut short: a new store's, magic and format 1 */
		fuzz_check(len == FUZZ_HEADER && memcmp(now, data, size) == 0);
		fuzz_check(memcmp(now, "rosterfs\1\0\0\0", 12) == 0);
	} else {
		/* the input, or its frames up to a torn one */
		fuzz_check(len >= FUZZ_HEADER && len <= size &&
			   memcmp(now, data, len) == 0);
	}
	free(now);
	/* a second handle reads the same file as the first left it */
	fuzz_check(roster_filestore_open(fuzz_path, ROSTER_FILESTORE_NOSYNC,
					 &fs2) == ROSTER_OK);
	fuzz_store_run(roster_filestore_methods(), fs, fs2, FUZZ_WRITE);
	roster_filestore_free(fs2);
	roster_filestore_free(fs);
	return 0;
}
