/* password.h (internal): hashing, checking and generating secrets. */
#ifndef RS_PASSWORD_H
#define RS_PASSWORD_H

#include "model.h"

/*
 * Hash of a token's secret as stored: the prefix and the first 128 bits
 * of the SHA-256 of the secret in 32 lower-case hex digits. A secret
 * carries 264 random bits: finding another one of the same 128 bits
 * from a stolen store takes 2^128 hashes, as finding the secret from the
 * whole digest would take more than anyone can, so the other half of
 * the digest is not kept. Stores written by earlier builds hold the
 * whole digest, "$sha256$" and 64 digits: read, it is cut to the first
 * 128 bits, which still redeem the tokens they sent.
 */
#define TOKEN_HASH_PREFIX "$sha256-128$"
#define TOKEN_HASH_SIZE (sizeof(TOKEN_HASH_PREFIX) - 1 + 32 + 1)
#define TOKEN_HASH_PREFIX_FULL "$sha256$"
#define TOKEN_DIGEST_SIZE 16
/* The same as a user keeps it in memory: '#' and the 128 bits in 22
 * base64url digits (no padding). Hashes of other forms (yescrypt
 * strings of earlier builds) are kept as they are stored. */
#define TOKEN_KEPT_SIZE (1 + 22 + 1)

/* The stored form of a kept hash into out; 0, or -1 when `kept` is not
 * of the kept form (it is then stored as it is). */
int rs_token_hash_stored(const char *kept, char out[TOKEN_HASH_SIZE]);
/* The kept form of a stored hash into out; 0, or -1 when `stored` is
 * neither "$sha256-128$" and 32 lower-case hex digits nor "$sha256$" and
 * 64 (it is then kept as it is). */
int rs_token_hash_kept(const char *stored, char out[TOKEN_KEPT_SIZE]);

/* The bytes of a password read at most: past them it is too long for
 * any policy (256 characters at most, 1024 bytes), and none was ever
 * hashed, so a login does not normalise it (NFKC orders marks in a time
 * that grows as the square of their run). */
#define RS_PASSWORD_BYTES_MAX 4096

/*
 * A password chosen (set, or given with a token): checked against the
 * policy as typed and in the form it is hashed and compared in, NFKC
 * (NIST SP 800-63B 5.1.1.2: "é" composed or decomposed, a full-width
 * letter, are one password), which *form gets (free with
 * rs_free_secret). 0 or recorded.
 */
int rs_password_chosen(roster_directory *dir, const char *pw, char **form);
/* Hash with yescrypt at `cost`; *out is a fresh crypt(3) string. */
int rs_password_hash(roster_directory *dir, const char *pw, unsigned cost,
		     char **out);
/* 1 when `hash` (n bytes) is a yescrypt hash at a cost a password policy
 * may set, the only kind rs_password_hash writes; 0 when not. */
int rs_password_hash_known(const char *hash, size_t n);
/* 1 when pw matches hash, compared in constant time. */
int rs_password_verify(roster_directory *dir, const char *hash,
		       const char *pw);
/* Generate a password of the policy into a fresh string. */
int rs_password_new(roster_directory *dir, char **out);
/*
 * Make a one-time token for `user`: *token is "ID.SECRET" for the host,
 * *hash the hash of SECRET to keep.
 */
int rs_token_new(roster_directory *dir, roster_id user, char **token,
		 char **hash);
/* Split a token into its user id and secret; 0 or -1 when malformed. */
int rs_token_parse(const char *token, roster_id *user, const char **secret);

/* Hash a token's secret, in the kept form. 0 or ENOMEM recorded. */
int rs_token_hash(roster_directory *dir, const char *secret, char **hash);
/* 1 when `secret` is the token stored as `hash` (NULL: none, still
 * costing one hash), 0 when not, -1 out of memory. */
int rs_token_verify(roster_directory *dir, const char *hash,
		    const char *secret);

#endif
