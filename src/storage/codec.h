/*
 * codec.h (internal): the stored form of records, format 1.
 *
 * docs/storage.md is the specification; this is its implementation.
 * Decoding treats its input as hostile: every length is checked, every
 * string must be valid UTF-8 without NUL, and anything malformed is
 * refused with the reason, never read past.
 */
#ifndef RS_CODEC_H
#define RS_CODEC_H

#include "../model.h"

#define RS_CODEC_FORMAT 1

/* The storage key of a record: "r/" and 16 lower-case hex digits. */
#define RS_KEY_SIZE 20
void rs_record_key(char key[RS_KEY_SIZE], roster_id id);
/* The id of a record key, 0 when `key` is not one. */
roster_id rs_record_key_id(const char *key);

/* 64-bit little-endian integers, as every integer of the format. */
void rs_le64_put(unsigned char b[8], uint64_t v);
uint64_t rs_le64_get(const unsigned char b[8]);

/* Encode a record into a fresh buffer. 0 or ROSTER_ENOMEM. */
int rs_encode(const rs_alloc *al, const rs_rec *rec, unsigned char **out,
	      size_t *len);

/*
 * Decode a record. On success *out is a fresh record (units get an empty
 * rs_members). On failure returns ROSTER_EPARSE (or ROSTER_ENOMEM) and
 * *why names the fault.
 */
int rs_decode(const rs_alloc *al, const void *data, size_t len, rs_rec **out,
	      const char **why);

/*
 * Outbox events (docs/storage.md): kind byte RS_KIND_EVENT under the key
 * "o/" and the sequence number as 16 lower-case hex digits. Secrets are
 * never encoded, only the note that one was handed out (withheld).
 */
#define RS_KIND_EVENT 16
struct roster_event;
void rs_event_key(char key[RS_KEY_SIZE], uint64_t seq);
/* The sequence number of an outbox key, 0 when `key` is not one. */
uint64_t rs_event_key_seq(const char *key);
int rs_event_encode(const rs_alloc *al, const struct roster_event *e,
		    unsigned char **out, size_t *len);
/* Decode an event into *e (its e-mail is a fresh string). ROSTER_EPARSE
 * with *why, or ROSTER_ENOMEM; *e is then empty. */
int rs_event_decode(const rs_alloc *al, const void *data, size_t len,
		    struct roster_event *e, const char **why);

#endif
