/*
 * filestore.c: the built-in file store (roster/sys/storage.h).
 *
 * One file holds an append-only log: a header, then one checksummed frame
 * per committed transaction (docs/storage.md, "The file store"). The live
 * state (keys to value and version, and the store-wide version clock) is
 * kept in memory, in a chained hash table built by replaying the log.
 *
 * A commit encodes the transaction's writes as one frame, appends it at
 * the end of what this handle has read, and syncs it; only then does the
 * table change. When the log has grown well past the live data, the whole
 * state is written to "<path>.tmp", synced and renamed over the log.
 *
 * Locking: a mutex serialises the directories sharing one handle, and an
 * exclusive flock(2) on "<path>.lock" serialises handles and processes.
 * Both are held from begin to commit or rollback, and during scan. Each
 * time the lock is taken the handle catches up: it reads the frames other
 * handles appended since it last read, or the whole file again when
 * another handle's compaction replaced it. So a transaction always checks
 * its expected versions against the latest committed state.
 *
 * Reading: a frame cut short at the end of the file (a writer killed or a
 * power cut in the middle of an append) was never committed; it is cut
 * off. Every other fault is refused with its byte offset. Lengths are
 * bounded by the file's size before anything is allocated.
 *
 * Like the memory store, it belongs to the host and uses the C library's
 * allocator.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "roster/sys/storage.h"
#include "kv.h"
#include "../error.h"

/* ------------------------------------------------------------------ */
/* Format                                                              */

#define MAGIC "rosterfs"
#define MAGIC_LEN 8
#define FORMAT 1u
#define HEADER_SIZE 16 /* magic, u32 format, u32 crc32 of the 12 bytes before */
#define FRAME_HEAD 12  /* u32 body length, u32 crc32 of it, u32 crc32 of body */
#define BODY_MIN 8     /* u64 clock */
#define FRAME_MAX (1u << 30) /* largest body written */
#define OP_PUT 1
#define OP_REMOVE 2
#define KEY_MAX 65535
#define PUT_FIXED (1 + 2 + 8 + 4) /* op, key length, version, value length */
#define REMOVE_FIXED (1 + 2)
#define CHUNK (1u << 20) /* compaction: bodies of about this size */
#define COMPACT_MIN (64u * 1024)
#define COMPACT_RATIO 4

static void le16_put(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void le32_put(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void le64_put(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t le16_get(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32_get(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64_get(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* zlib's crc32 over any length (its own takes an unsigned int). */
static uint32_t crc_of(const void *buf, size_t n)
{
	const unsigned char *p = buf;
	uLong c = crc32(0L, Z_NULL, 0);

	while (n) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		c = crc32(c, p, k);
		p += k;
		n -= k;
	}
	return (uint32_t)c;
}

static void header_make(unsigned char h[HEADER_SIZE])
{
	memcpy(h, MAGIC, MAGIC_LEN);
	le32_put(h + 8, FORMAT);
	le32_put(h + 12, crc_of(h, 12));
}

static int key_ok(const char *key, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (key[i] < 0x20 || key[i] > 0x7E)
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* The live state                                                      */

typedef struct table {
	rs_kv kv;
	uint64_t clock;	 /* the last version handed out */
	uint64_t logged; /* the highest clock of a frame read or written */
} table;

static int tbl_init(table *t)
{
	memset(t, 0, sizeof(*t));
	return rs_kv_init(&t->kv);
}

static uint64_t put_size(size_t klen, size_t len)
{
	return PUT_FIXED + (uint64_t)klen + len;
}

/* The bytes of the put operations of a compacted log. */
static uint64_t tbl_live(const table *t)
{
	return PUT_FIXED * (uint64_t)t->kv.count + t->kv.bytes;
}

/* Apply the writes of a frame of version `clock`, for which the table
 * has room (rs_kv_reserve); cannot fail. */
static void tbl_apply(table *t, rs_kv_writes *w, uint64_t clock)
{
	rs_kv_apply(&t->kv, w);
	if (clock > t->clock)
		t->clock = clock;
	if (clock > t->logged)
		t->logged = clock;
}

/* Add a write, copying key and value (value NULL: a removal). With the
 * table `t` a transaction's write, which its later writes look up (and
 * room in t for it); NULL for a frame's. */
static int write_add(rs_kv_writes *w, rs_kv *t, const char *key,
		     size_t klen, const void *value, size_t len,
		     uint64_t version)
{
	rs_kv_entry *e = rs_kv_entry_new(key, klen, rs_kv_hash(key, klen),
					 value, len, version);

	if (!e || (t ? rs_kv_writes_add(w, t, e)
		     : rs_kv_writes_append(w, e))) {
		free(e);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The handle                                                          */

struct roster_filestore {
	pthread_mutex_t mu;
	char *path, *lock_path, *tmp_path, *dir_path;
	unsigned int flags;
	int fd, lock_fd;
	dev_t dev;
	ino_t ino;
	uint64_t end;	       /* the log is read and whole up to here */
	uint64_t compact_next; /* no compaction before the log is this long */
	table t;
	rs_kv_writes w;	  /* the writes of the open transaction */
	uint64_t w_bytes; /* their encoded size */
	int in_txn;
};

/* The message of the last failure, per thread: a handle shared by the
 * directories of several threads is unlocked before the caller reads
 * it, when another thread's failure could be writing it already. */
static _Thread_local char fs_err[256];

/* The path for a message: its last 48 bytes at most, so that the reason
 * after it still fits in an error's value. */
static const char *shown(const char *path, const char **ellipsis)
{
	size_t n = strlen(path);

	*ellipsis = n > 48 ? "..." : "";
	return n > 48 ? path + n - 45 : path;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fs_fail(roster_filestore *fs, int code, const char *fmt, ...)
{
	const char *dots, *p = shown(fs->path, &dots);
	va_list ap;
	int n;

	n = snprintf(fs_err, sizeof(fs_err), "%s%s: ", dots, p);
	if (n < 0 || (size_t)n >= sizeof(fs_err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(fs_err + n, sizeof(fs_err) - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

static int io_fail(roster_filestore *fs, const char *what, int err)
{
	return fs_fail(fs, ROSTER_ESTORAGE, "%s: %s", what, strerror(err));
}

static int corrupt(roster_filestore *fs, uint64_t off, const char *why)
{
	return fs_fail(fs, ROSTER_EPARSE, "%s at byte %llu", why,
		       (unsigned long long)off);
}

static int nomem(void)
{
	snprintf(fs_err, sizeof(fs_err), "out of memory");
	return ROSTER_ENOMEM;
}

/* Read (or write) exactly n bytes at off: 0, or -1 with errno (EIO when
 * the file ends early: it changed under the lock). */
static int io_at(int fd, void *buf, size_t n, uint64_t off, int write)
{
	unsigned char *p = buf;

	while (n) {
		ssize_t r = write ? pwrite(fd, p, n, (off_t)off)
				  : pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
	return io_at(fd, buf, n, off, 0);
}

static int write_at(int fd, const void *buf, size_t n, uint64_t off)
{
	/* io_at only reads from buf when writing */
	return io_at(fd, (void *)(uintptr_t)buf, n, off, 1);
}

static int sync_dir(roster_filestore *fs)
{
	int fd = open(fs->dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0, e = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) != 0 && errno != EINVAL) {
		e = errno;
		rc = -1;
	}
	close(fd);
	errno = e;
	return rc;
}

static int lock_file(roster_filestore *fs)
{
	while (flock(fs->lock_fd, LOCK_EX) != 0)
		if (errno != EINTR)
			return io_fail(fs, "lock", errno);
	return 0;
}

static void unlock_file(roster_filestore *fs)
{
	flock(fs->lock_fd, LOCK_UN);
}

/* Is there a whole frame of `len` bytes of body, whose crc32 is `crc`,
 * at `off`? 1, 0, or -1 when it cannot be read (errno set). */
static int whole_frame(int fd, uint64_t off, uint32_t len, uint32_t crc)
{
	unsigned char *body = malloc(len);
	int rc;

	if (!body)
		return -1;
	rc = read_at(fd, body, len, off + FRAME_HEAD) ? -1
						      : crc_of(body, len) == crc;
	free(body);
	return rc;
}

/*
 * Does a whole frame (its length, both checksums right) begin anywhere
 * in the file after `off`? A frame whose length checksum is wrong is the
 * torn last one when none does: its pages reached the disk out of order,
 * the one of its header lost (zeros, or the old bytes of a file that grew
 * first). A whole frame after it is a committed transaction, and the bad
 * header damage. 1, 0, or -1 when the file cannot be read (errno set).
 *
 * Each would-be frame (its length and length checksum right) is read
 * whole to check its body, so a file made of them, each running to the
 * end, would take time quadratic in its size (a megabyte, ten seconds;
 * a gigabyte, months). The bodies read are bounded by twice the bytes
 * after `off`: past that the answer is 1, so such a file is refused,
 * never cut. The bytes of a torn frame hold a would-be frame by chance
 * once in 2^32 places, not that many.
 */
static int frame_after(int fd, uint64_t off, uint64_t size)
{
	const size_t cap = 65536;
	unsigned char *buf = malloc(cap);
	uint64_t at = off + 1, budget = 2 * (size - off);
	int found = 0;

	if (!buf)
		return -1;
	while (!found && at < size && size - at >= FRAME_HEAD) {
		size_t n = size - at < cap ? (size_t)(size - at) : cap;
		size_t i;

		if (read_at(fd, buf, n, at)) {
			found = -1;
			break;
		}
		for (i = 0; i + FRAME_HEAD <= n; i++) {
			uint32_t len = le32_get(buf + i);
			uint64_t pos = at + i;
			int r;

			if (crc_of(buf + i, 4) != le32_get(buf + i + 4) ||
			    len < BODY_MIN || len > size - pos - FRAME_HEAD)
				continue;
			if (len > budget) {
				found = 1;
				break;
			}
			budget -= len;
			if ((r = whole_frame(fd, pos, len, le32_get(buf + i + 8)))) {
				found = r;
				break;
			}
		}
		at += n - FRAME_HEAD + 1;
	}
	free(buf);
	return found;
}

/* Decode a frame's body into writes. 0, ROSTER_EPARSE with *why, or
 * ROSTER_ENOMEM. */
static int body_parse(const unsigned char *b, size_t n, uint64_t prev_clock,
		      uint64_t *clock, rs_kv_writes *ops, const char **why)
{
	size_t i = BODY_MIN;

	if (n < BODY_MIN) {
		*why = "frame too short";
		return ROSTER_EPARSE;
	}
	*clock = le64_get(b);
	if (*clock < prev_clock) {
		*why = "version clock goes back";
		return ROSTER_EPARSE;
	}
	while (i < n) {
		unsigned kind = b[i];
		size_t klen, len = 0;
		uint64_t version = 0;
		const char *key;
		const unsigned char *value = NULL;

		if (kind != OP_PUT && kind != OP_REMOVE) {
			*why = "unknown operation";
			return ROSTER_EPARSE;
		}
		if (n - i < REMOVE_FIXED) {
			*why = "operation past the end of its frame";
			return ROSTER_EPARSE;
		}
		klen = le16_get(b + i + 1);
		i += REMOVE_FIXED;
		if (n - i < klen) {
			*why = "key past the end of its frame";
			return ROSTER_EPARSE;
		}
		key = (const char *)b + i;
		if (!key_ok(key, klen)) {
			*why = "key not printable ASCII";
			return ROSTER_EPARSE;
		}
		i += klen;
		if (kind == OP_PUT) {
			if (n - i < 12) {
				*why = "operation past the end of its frame";
				return ROSTER_EPARSE;
			}
			version = le64_get(b + i);
			len = le32_get(b + i + 8);
			i += 12;
			if (version == 0 || version > *clock) {
				*why = "version out of range";
				return ROSTER_EPARSE;
			}
			if (n - i < len) {
				*why = "value past the end of its frame";
				return ROSTER_EPARSE;
			}
			value = b + i;
			i += len;
		}
		if (write_add(ops, NULL, key, klen, value, len, version))
			return ROSTER_ENOMEM;
	}
	return 0;
}

/*
 * Read the frames of `fd` from *pos to its end into `t`, moving *pos past
 * each frame applied. A torn last frame is cut off the file (the caller
 * holds the lock). 0, ROSTER_EPARSE, ROSTER_ESTORAGE or ROSTER_ENOMEM,
 * with the message in fs_err.
 */
static int replay(roster_filestore *fs, int fd, table *t, uint64_t *pos)
{
	struct stat st;
	uint64_t size, off = *pos;
	rs_kv_writes ops = { NULL, 0, 0, NULL, 0 };
	int rc = 0;

	if (fstat(fd, &st) != 0)
		return io_fail(fs, "stat", errno);
	size = (uint64_t)st.st_size;
	while (off < size) {
		unsigned char h[FRAME_HEAD], *body;
		uint64_t clock = 0;
		uint32_t len;
		const char *why = NULL;

		if (size - off < FRAME_HEAD)
			goto torn; /* the header itself is cut */
		if (read_at(fd, h, FRAME_HEAD, off)) {
			rc = io_fail(fs, "read", errno);
			break;
		}
		len = le32_get(h);
		if (crc_of(h, 4) != le32_get(h + 4)) {
			int later = frame_after(fd, off, size);

			if (later < 0) {
				rc = errno == ENOMEM ? nomem()
						     : io_fail(fs, "read", errno);
				break;
			}
			if (!later)
				goto torn;
			rc = corrupt(fs, off, "bad frame header");
			break;
		}
		if (len > size - off - FRAME_HEAD)
			goto torn; /* the body is cut */
		if (!(body = malloc(len ? len : 1))) {
			rc = nomem();
			break;
		}
		if (read_at(fd, body, len, off + FRAME_HEAD)) {
			free(body);
			rc = io_fail(fs, "read", errno);
			break;
		}
		if (crc_of(body, len) != le32_get(h + 8)) {
			free(body);
			if (off + FRAME_HEAD + len == size)
				goto torn; /* the last frame, half written */
			rc = corrupt(fs, off, "bad checksum in the frame");
			break;
		}
		rc = body_parse(body, len, t->logged, &clock, &ops, &why);
		free(body);
		if (rc == ROSTER_EPARSE) {
			rc = corrupt(fs, off, why);
			break;
		}
		if (rc || rs_kv_reserve(&t->kv, ops.n)) {
			rc = nomem();
			break;
		}
		tbl_apply(t, &ops, clock);
		off += FRAME_HEAD + (uint64_t)len;
		*pos = off;
	}
	rs_kv_writes_free(&ops);
	return rc;
torn:
	rs_kv_writes_free(&ops);
	while (ftruncate(fd, (off_t)off) != 0)
		if (errno != EINTR)
			return io_fail(fs, "cutting off a torn frame", errno);
	*pos = off;
	return 0;
}

/* Open the log file (creating it), a regular file only. */
static int open_log(roster_filestore *fs, int *fd_out, struct stat *st)
{
	int fd = open(fs->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY |
					O_NONBLOCK, 0600);

	if (fd < 0)
		return io_fail(fs, "open", errno);
	if (fstat(fd, st) != 0) {
		int e = errno;
		close(fd);
		return io_fail(fs, "stat", e);
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return fs_fail(fs, ROSTER_EPARSE, "not a regular file");
	}
	*fd_out = fd;
	return 0;
}

/* Check the header, writing it into a new (empty) file or over a header
 * cut short by a crash while the file was created. */
static int check_header(roster_filestore *fs, int fd, uint64_t size)
{
	unsigned char want[HEADER_SIZE], got[HEADER_SIZE];

	header_make(want);
	if (size < HEADER_SIZE) {
		if (size && read_at(fd, got, (size_t)size, 0))
			return io_fail(fs, "read", errno);
		if (size && memcmp(got, want, (size_t)size) != 0)
			return fs_fail(fs, ROSTER_EPARSE,
				       "not a roster file store (too short)");
		if (write_at(fd, want, HEADER_SIZE, 0))
			return io_fail(fs, "write", errno);
		if (!(fs->flags & ROSTER_FILESTORE_NOSYNC) &&
		    (fdatasync(fd) != 0 || sync_dir(fs) != 0))
			return io_fail(fs, "sync", errno);
		return 0;
	}
	if (read_at(fd, got, HEADER_SIZE, 0))
		return io_fail(fs, "read", errno);
	if (memcmp(got, want, MAGIC_LEN) != 0)
		return fs_fail(fs, ROSTER_EPARSE, "not a roster file store");
	if (le32_get(got + 12) != crc_of(got, 12))
		return corrupt(fs, 0, "bad checksum in the header");
	if (le32_get(got + 8) != FORMAT)
		return fs_fail(fs, ROSTER_EPARSE,
			       "file store format %lu unknown (this release "
			       "reads format %u)",
			       (unsigned long)le32_get(got + 8), FORMAT);
	return 0;
}

/* Read the file at the path whole and replace the table with it. On
 * failure the handle is as it was. The lock is held. */
static int load(roster_filestore *fs)
{
	struct stat st;
	table fresh;
	uint64_t pos = HEADER_SIZE;
	int fd = -1, rc;

	if ((rc = open_log(fs, &fd, &st)))
		return rc;
	if ((rc = check_header(fs, fd, (uint64_t)st.st_size))) {
		close(fd);
		return rc;
	}
	if (tbl_init(&fresh)) {
		close(fd);
		return nomem();
	}
	if ((rc = replay(fs, fd, &fresh, &pos))) {
		rs_kv_free(&fresh.kv);
		close(fd);
		return rc;
	}
	/* versions this handle handed out stay used */
	if (fresh.clock < fs->t.clock)
		fresh.clock = fs->t.clock;
	rs_kv_free(&fs->t.kv);
	fs->t = fresh;
	if (fs->fd >= 0)
		close(fs->fd);
	fs->fd = fd;
	fs->dev = st.st_dev;
	fs->ino = st.st_ino;
	fs->end = pos;
	return 0;
}

/* Read what other handles committed since this one last read. The lock
 * is held. */
static int catch_up(roster_filestore *fs)
{
	struct stat st;

	if (stat(fs->path, &st) != 0)
		return io_fail(fs, "stat", errno);
	if (st.st_dev != fs->dev || st.st_ino != fs->ino)
		return load(fs); /* replaced by a compaction */
	if (fstat(fs->fd, &st) != 0)
		return io_fail(fs, "stat", errno);
	if ((uint64_t)st.st_size < fs->end)
		return load(fs); /* cut behind our back: read it again */
	if ((uint64_t)st.st_size == fs->end)
		return 0;
	return replay(fs, fs->fd, &fs->t, &fs->end);
}

/* Encode the head and body of a frame of `ops` into buf, which has room
 * for FRAME_HEAD + body bytes. */
/* Encode the head and body of a frame of `n` writes or table entries
 * into buf, which has room for FRAME_HEAD + body bytes. */
static void frame_encode(unsigned char *buf, size_t body, uint64_t clock,
			 rs_kv_entry *const *es, size_t n)
{
	unsigned char *p = buf + FRAME_HEAD;
	size_t i;

	le64_put(p, clock);
	p += 8;
	for (i = 0; i < n; i++) {
		const rs_kv_entry *e = es[i];

		*p++ = e->version ? OP_PUT : OP_REMOVE;
		le16_put(p, (uint32_t)e->klen);
		memcpy(p + 2, e->key, e->klen);
		p += 2 + e->klen;
		if (e->version) {
			le64_put(p, e->version);
			le32_put(p + 8, (uint32_t)e->len);
			p += 12;
			if (e->len)
				memcpy(p, rs_kv_value(e), e->len);
			p += e->len;
		}
	}
	le32_put(buf, (uint32_t)body);
	le32_put(buf + 4, crc_of(buf, 4));
	le32_put(buf + 8, crc_of(buf + FRAME_HEAD, body));
}

/* Write a frame of entries of the table (a compaction's body). */
static int write_entries(int fd, uint64_t *off, uint64_t clock,
			 rs_kv_entry *const *es, size_t n, size_t body)
{
	unsigned char *buf = malloc(FRAME_HEAD + body);
	int rc;

	if (!buf)
		return -1;
	frame_encode(buf, body, clock, es, n);
	rc = write_at(fd, buf, FRAME_HEAD + body, *off);
	free(buf);
	*off += FRAME_HEAD + body;
	return rc;
}

/*
 * Write the live state to "<path>.tmp" and rename it over the log. The
 * lock is held and the table is the committed state. 0, or -1 having
 * changed nothing but perhaps the handle's file descriptor (a later
 * catch-up reads the file at the path again).
 */
static int compact(roster_filestore *fs)
{
	int sync = !(fs->flags & ROSTER_FILESTORE_NOSYNC);
	unsigned char h[HEADER_SIZE];
	struct stat st;
	rs_kv_entry **batch = NULL, *e;
	size_t nb = 0, cap = 0, body = BODY_MIN;
	uint64_t off = HEADER_SIZE;
	int fd, nfd, ok = 1;

	if (fstat(fs->fd, &st) != 0)
		return -1;
	fd = open(fs->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
					O_NOCTTY | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (fchmod(fd, st.st_mode & 07777) != 0)
		ok = 0;
	header_make(h);
	if (ok && write_at(fd, h, HEADER_SIZE, 0))
		ok = 0;
	/* frames of about CHUNK bytes; at least one, which keeps the clock;
	 * the entries in the order applied, which a reopen keeps */
	for (e = fs->t.kv.oldest; ok && e; e = e->newer) {
		size_t sz = (size_t)put_size(e->klen, e->len);
		if (nb && body + sz > CHUNK) {
			if (write_entries(fd, &off, fs->t.clock, batch, nb,
					  body))
				ok = 0;
			nb = 0;
			body = BODY_MIN;
		}
		if (nb == cap) {
			size_t c = cap ? cap * 2 : 64;
			rs_kv_entry **b = realloc(batch, c * sizeof(*b));
			if (!b) {
				ok = 0;
				break;
			}
			batch = b;
			cap = c;
		}
		batch[nb++] = e;
		body += sz;
	}
	if (ok && write_entries(fd, &off, fs->t.clock, batch, nb, body))
		ok = 0;
	free(batch);
	if (ok && sync && fsync(fd) != 0)
		ok = 0;
	if (close(fd) != 0)
		ok = 0;
	if (!ok || rename(fs->tmp_path, fs->path) != 0) {
		unlink(fs->tmp_path);
		return -1;
	}
	if (sync)
		sync_dir(fs); /* the old log or the new: either holds it all */
	nfd = open(fs->path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (nfd < 0)
		return 0; /* the next catch-up opens it */
	if (fstat(nfd, &st) != 0 || (uint64_t)st.st_size != off) {
		close(nfd);
		return 0;
	}
	close(fs->fd);
	fs->fd = nfd;
	fs->dev = st.st_dev;
	fs->ino = st.st_ino;
	fs->end = off;
	return 0;
}

static void maybe_compact(roster_filestore *fs)
{
	uint64_t live = HEADER_SIZE + FRAME_HEAD + BODY_MIN + tbl_live(&fs->t);

	if (fs->end < COMPACT_MIN || fs->end < fs->compact_next ||
	    fs->end / COMPACT_RATIO < live)
		return;
	/* after a failure, try again once the log grew by half */
	fs->compact_next = compact(fs) ? fs->end + fs->end / 2 : 0;
}

/* ------------------------------------------------------------------ */
/* Opening and freeing                                                 */

static char *concat(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	char *s = malloc(n + m + 1);

	if (s) {
		memcpy(s, a, n);
		memcpy(s + n, b, m + 1);
	}
	return s;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	char *s;

	if (!slash)
		return concat(".", "");
	n = slash == path ? 1 : (size_t)(slash - path);
	if (!(s = malloc(n + 1)))
		return NULL;
	memcpy(s, path, n);
	s[n] = '\0';
	return s;
}

void roster_filestore_free(roster_filestore *fs)
{
	if (!fs)
		return;
	rs_kv_writes_free(&fs->w);
	rs_kv_free(&fs->t.kv);
	if (fs->fd >= 0)
		close(fs->fd);
	if (fs->lock_fd >= 0)
		close(fs->lock_fd); /* and with it any lock still held */
	pthread_mutex_destroy(&fs->mu);
	free(fs->path);
	free(fs->lock_path);
	free(fs->tmp_path);
	free(fs->dir_path);
	free(fs);
}

/*
 * The real path a store file that does not exist yet will have: its
 * directory's real path and its name (what realpath gives once it is
 * created). NULL with errno.
 */
/* `base` in the directory `dir`, malloc'd (NULL out of memory). */
static char *path_join(const char *dir, const char *base)
{
	size_t n = strlen(dir);
	char *s = malloc(n + 1 + strlen(base) + 1);

	if (s)
		sprintf(s, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/",
			base);
	return s;
}

static char *real_of_new(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char *dir, *rdir, *real;

	if (!*base) {
		errno = EISDIR; /* "dir/": as open(2) says */
		return NULL;
	}
	if (!(dir = dir_of(path)))
		return NULL;
	rdir = realpath(dir, NULL);
	free(dir);
	if (!rdir)
		return NULL;
	real = path_join(rdir, base);
	free(rdir);
	return real;
}

/*
 * The name a dangling symbolic link leads to at last, through links to
 * links (40 at most, as the kernel follows them), a relative one read
 * from its link's directory: malloc'd, or NULL with errno set.
 */
static char *link_target(const char *path)
{
	char *cur = concat(path, ""), *next, *dir;
	char buf[4096];
	struct stat st;
	ssize_t n;
	int hops;

	for (hops = 0; cur && hops < 40; hops++) {
		if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
			return cur; /* the name to create (or what is there) */
		n = readlink(cur, buf, sizeof(buf));
		if (n < 0 || (size_t)n >= sizeof(buf)) {
			free(cur); /* a target this long may be cut: none */
			if (n >= 0)
				errno = ENAMETOOLONG;
			return NULL;
		}
		buf[n] = '\0';
		next = NULL;
		if (buf[0] == '/') {
			next = concat(buf, "");
		} else if ((dir = dir_of(cur))) {
			next = path_join(dir, buf);
			free(dir);
		}
		free(cur);
		cur = next;
	}
	if (cur) {
		free(cur);
		errno = ELOOP;
	}
	return NULL;
}

/* Report a failure of open for the thread, from the handle's message. */
static int open_fail(roster_filestore *fs, int code)
{
	char msg[sizeof(fs_err)];

	snprintf(msg, sizeof(msg), "%s", fs_err);
	roster_filestore_free(fs);
	if (code == ROSTER_ENOMEM)
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	if (code == ROSTER_EPARSE)
		return rs_error_tl(ROSTER_EPARSE, "path", "storage.file", msg);
	return rs_error_tl(ROSTER_ESTORAGE, "open", "storage.failed", msg);
}

int roster_filestore_open(const char *path, unsigned int flags,
			  roster_filestore **out)
{
	roster_filestore *fs;
	struct stat st;
	char v[24], *real;
	int rc, fd, absent, is_link, created = 0;

	if (!out)
		return rs_error_tl(ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if (!path)
		return rs_error_tl(ROSTER_EINVAL, "path", "arg.null", NULL);
	if (!*path)
		return rs_error_tl(ROSTER_EINVAL, "path", "arg.range", path);
	if (flags & ~ROSTER_FILESTORE_NOSYNC) {
		snprintf(v, sizeof(v), "%u", flags);
		return rs_error_tl(ROSTER_EINVAL, "flags", "arg.range", v);
	}
	if (!(fs = calloc(1, sizeof(*fs))))
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	fs->fd = fs->lock_fd = -1;
	fs->flags = flags;
	if (rs_kv_lock_init(&fs->mu)) {
		free(fs);
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	}
	if (!(fs->path = concat(path, "")) || tbl_init(&fs->t))
		return open_fail(fs, ROSTER_ENOMEM);
	/* the file is named by its real path: so the lock file, the
	 * compaction's rename and a later chdir of the host all agree on it,
	 * through symbolic links too. A file that is not there yet (nor a
	 * link, nor a link to no file: its target) is created only once the
	 * lock is held, so that a failure before (the lock file's name too
	 * long, say) leaves nothing behind, and one after can take it back;
	 * one that is there is opened first, which checks the access */
	is_link = lstat(path, &st) == 0 ? !!S_ISLNK(st.st_mode) : -1;
	absent = is_link < 0 && errno == ENOENT;
	if (!absent) {
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0 && errno == ENOENT && is_link == 1) {
			char *target = link_target(path);

			absent = 1;
			real = target ? real_of_new(target) : NULL;
			free(target);
		} else if (fd < 0) {
			return open_fail(fs, io_fail(fs, "open", errno));
		} else {
			close(fd);
			real = realpath(path, NULL);
		}
	} else {
		real = real_of_new(path);
	}
	if (!real)
		return open_fail(fs, errno == ENOMEM
					     ? ROSTER_ENOMEM
					     : io_fail(fs, absent ? "open"
								  : "realpath",
						       errno));
	free(fs->path);
	fs->path = real;
	fs->lock_path = concat(real, ".lock");
	fs->tmp_path = concat(real, ".tmp");
	fs->dir_path = dir_of(real);
	if (!fs->lock_path || !fs->tmp_path || !fs->dir_path)
		return open_fail(fs, ROSTER_ENOMEM);
	fs->lock_fd = open(fs->lock_path, O_RDWR | O_CREAT | O_CLOEXEC |
						 O_NOCTTY | O_NONBLOCK, 0600);
	if (fs->lock_fd < 0)
		return open_fail(fs, io_fail(fs, "open lock file", errno));
	if ((rc = lock_file(fs)))
		return open_fail(fs, rc);
	if (absent) {
		fd = open(real, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
					O_NOCTTY | O_NONBLOCK, 0600);
		if (fd >= 0) {
			created = 1;
			close(fd);
		} else if (errno != EEXIST) {
			rc = io_fail(fs, "open", errno);
		}
	}
	if (!rc && (rc = load(fs)) && created)
		unlink(real); /* under the lock: no other handle has it */
	unlock_file(fs);
	if (rc)
		return open_fail(fs, rc);
	fs_err[0] = '\0';
	*out = fs;
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* The callbacks                                                       */

/* Take the handle's mutex; a thread inside its own transaction (or scan)
 * is refused. */
static int enter(roster_filestore *fs, const char *what)
{
	int e = pthread_mutex_lock(&fs->mu);

	if (e == EDEADLK)
		return fs_fail(fs, ROSTER_ESTORAGE,
			       "%s inside a transaction or scan of this thread",
			       what);
	if (e)
		return io_fail(fs, what, e);
	return 0;
}

static int fs_begin(void *store)
{
	roster_filestore *fs = store;
	int rc;

	if ((rc = enter(fs, "begin")))
		return rc;
	if ((rc = lock_file(fs)) == 0 && (rc = catch_up(fs)) != 0)
		unlock_file(fs);
	if (rc) {
		pthread_mutex_unlock(&fs->mu);
		return ROSTER_ESTORAGE;
	}
	rs_kv_writes_clear(&fs->w);
	fs->w_bytes = 0;
	fs->in_txn = 1;
	return ROSTER_OK;
}

/* The version a key has in this transaction's view (0: absent). */
static uint64_t current(roster_filestore *fs, const char *key, size_t klen)
{
	return rs_kv_current(&fs->t.kv, &fs->w, key, klen,
			     rs_kv_hash(key, klen));
}

/* The checks put and remove share. */
static int write_check(roster_filestore *fs, const char *what, const char *key,
		       size_t *klen)
{
	*klen = 0;
	if (!fs->in_txn)
		return fs_fail(fs, ROSTER_ESTORAGE, "%s outside a transaction",
			       what);
	if (!key)
		return fs_fail(fs, ROSTER_ESTORAGE, "%s: NULL key", what);
	*klen = strnlen(key, KEY_MAX + 1);
	if (*klen > KEY_MAX)
		return fs_fail(fs, ROSTER_ESTORAGE,
			       "%s: key longer than %u bytes", what, KEY_MAX);
	if (!key_ok(key, *klen))
		return fs_fail(fs, ROSTER_ESTORAGE,
			       "%s: key not printable ASCII", what);
	return 0;
}

static int fs_put(void *store, const char *key, const void *value, size_t len,
		  uint64_t expected, uint64_t *version_out)
{
	roster_filestore *fs = store;
	size_t klen;
	int rc;

	if ((rc = write_check(fs, "put", key, &klen)))
		return rc;
	if (!version_out || (!value && len))
		return fs_fail(fs, ROSTER_ESTORAGE, "put: NULL argument");
	if (len > FRAME_MAX ||
	    fs->w_bytes + put_size(klen, len) > FRAME_MAX - BODY_MIN)
		return fs_fail(fs, ROSTER_ESTORAGE,
			       "transaction larger than %u bytes", FRAME_MAX);
	if (current(fs, key, klen) != expected)
		return fs_fail(fs, ROSTER_ECONFLICT, "%.64s: version changed",
			       key);
	if (fs->t.clock == UINT64_MAX)
		return fs_fail(fs, ROSTER_ESTORAGE, "no version left");
	if (write_add(&fs->w, &fs->t.kv, key, klen, value ? value : "", len,
		      fs->t.clock + 1))
		return fs_fail(fs, ROSTER_ESTORAGE, "out of memory");
	fs->w_bytes += put_size(klen, len);
	*version_out = ++fs->t.clock;
	return ROSTER_OK;
}

static int fs_remove(void *store, const char *key, uint64_t expected)
{
	roster_filestore *fs = store;
	size_t klen;
	int rc;

	if ((rc = write_check(fs, "remove", key, &klen)))
		return rc;
	if (!expected || current(fs, key, klen) != expected)
		return fs_fail(fs, ROSTER_ECONFLICT, "%.64s: version changed",
			       key);
	if (fs->w_bytes + REMOVE_FIXED + klen > FRAME_MAX - BODY_MIN)
		return fs_fail(fs, ROSTER_ESTORAGE,
			       "transaction larger than %u bytes", FRAME_MAX);
	if (write_add(&fs->w, &fs->t.kv, key, klen, NULL, 0, 0))
		return fs_fail(fs, ROSTER_ESTORAGE, "out of memory");
	fs->w_bytes += REMOVE_FIXED + (uint64_t)klen;
	return ROSTER_OK;
}

/* End the transaction: forget its writes, release the locks. */
static void leave(roster_filestore *fs)
{
	rs_kv_writes_clear(&fs->w);
	fs->w_bytes = 0;
	fs->in_txn = 0;
	unlock_file(fs);
	pthread_mutex_unlock(&fs->mu);
}

/* Append the transaction's frame and make it durable. */
static int append(roster_filestore *fs)
{
	size_t body = BODY_MIN + (size_t)fs->w_bytes;
	unsigned char *buf = malloc(FRAME_HEAD + body);
	int rc = 0, e;

	if (!buf)
		return fs_fail(fs, ROSTER_ESTORAGE, "out of memory");
	frame_encode(buf, body, fs->t.clock, fs->w.v, fs->w.n);
	if (write_at(fs->fd, buf, FRAME_HEAD + body, fs->end))
		rc = io_fail(fs, "write", errno);
	else if (!(fs->flags & ROSTER_FILESTORE_NOSYNC) &&
		 fdatasync(fs->fd) != 0)
		rc = io_fail(fs, "fdatasync", errno);
	free(buf);
	if (rc) {
		/* what was written is not committed: take it back */
		e = errno;
		while (ftruncate(fs->fd, (off_t)fs->end) != 0 && errno == EINTR)
			;
		errno = e;
		return rc;
	}
	fs->end += FRAME_HEAD + body;
	return 0;
}

static int fs_commit(void *store)
{
	roster_filestore *fs = store;
	int rc = ROSTER_OK;

	if (!fs->in_txn)
		return fs_fail(fs, ROSTER_ESTORAGE, "commit outside a transaction");
	/* the writes were made whole as they came: once the frame is
	 * written, applying them cannot fail */
	if (fs->w.n && (rc = append(fs)) == 0) {
		tbl_apply(&fs->t, &fs->w, fs->t.clock);
		maybe_compact(fs);
	}
	leave(fs);
	return rc;
}

static int fs_rollback(void *store)
{
	roster_filestore *fs = store;

	if (!fs->in_txn)
		return fs_fail(fs, ROSTER_ESTORAGE,
			       "rollback outside a transaction");
	leave(fs); /* the versions handed out stay used */
	return ROSTER_OK;
}

static int fs_scan(void *store, const char *prefix, roster_storage_row_fn row,
		   void *row_data)
{
	roster_filestore *fs = store;
	int rc;

	if (!prefix || !row)
		return fs_fail(fs, ROSTER_ESTORAGE, "scan: NULL argument");
	if ((rc = enter(fs, "scan")))
		return rc;
	if ((rc = lock_file(fs)) == 0 && (rc = catch_up(fs)) != 0)
		unlock_file(fs);
	if (rc) {
		pthread_mutex_unlock(&fs->mu);
		return ROSTER_ESTORAGE;
	}
	rc = rs_kv_scan(&fs->t.kv, prefix, row, row_data);
	unlock_file(fs);
	pthread_mutex_unlock(&fs->mu);
	return rc;
}

static const char *fs_errmsg(void *store)
{
	(void)store;
	return fs_err;
}

/* No destroy: several directories may share a handle, and the host frees
 * it with roster_filestore_free once they are gone. */
static int fs_check(void *store, const char *key, uint64_t expected)
{
	roster_filestore *fs = store;
	size_t klen;
	int rc;

	if ((rc = write_check(fs, "check", key, &klen)))
		return rc;
	if (current(fs, key, klen) != expected)
		return fs_fail(fs, ROSTER_ECONFLICT, "%.64s: version changed",
			       key);
	return 0;
}

static const roster_storage methods = {
	ROSTER_STORAGE_VERSION, fs_begin, fs_commit, fs_rollback, fs_put,
	fs_remove, fs_scan, fs_errmsg, NULL, fs_check
};

const roster_storage *roster_filestore_methods(void)
{
	return &methods;
}
