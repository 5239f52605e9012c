/* password.c: the password policy, yescrypt hashing and generation. */
#include "password.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "util/random.h"
#include "util/text.h"


int roster_password_policy_init(roster_password_policy *p,
				unsigned int version)
{
	char v[24];

	if (!p)
		return rs_error_tl(ROSTER_EINVAL, "policy", "arg.null", NULL);
	if (version < 1 || version > ROSTER_PASSWORD_POLICY_VERSION) {
		snprintf(v, sizeof(v), "%u", version);
		return rs_error_tl(ROSTER_EVERSION, "version", "arg.version", v);
	}
	memset(p, 0, sizeof(*p));
	p->version = version;
	p->min_length = 12;
	p->max_length = 128;
	p->required_classes = 0;
	p->generated_length = 16;
	p->hash_cost = 5;
	p->reset_ttl = 86400;
	p->welcome_ttl = 7 * 86400;
	return ROSTER_OK;
}

static int policy_fail(roster_directory *dir, const char *member, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return rs_fail(dir, ROSTER_EINVAL, member, "policy.range", buf);
}

int roster_directory_set_password_policy(roster_directory *dir,
					 const roster_password_policy *p)
{
	int rc = rs_enter(dir);

	if (rc)
		return rc;
	if (!p)
		return rs_fail(dir, ROSTER_EINVAL, "policy", "arg.null", NULL);
	/* the policy is not part of a transaction: a rollback could not
	 * take it back */
	if (dir->txn_open)
		return rs_fail(dir, ROSTER_EMISUSE, NULL, "txn.open", NULL);
	if (p->version < 1 || p->version > ROSTER_PASSWORD_POLICY_VERSION)
		return rs_fail_id(dir, ROSTER_EVERSION, "version", "arg.version",
				  p->version);
	if (p->min_length < ROSTER_PASSWORD_LENGTH_MIN ||
	    p->min_length > ROSTER_PASSWORD_LENGTH_MAX)
		return policy_fail(dir, "min_length", p->min_length);
	if (p->max_length < p->min_length ||
	    p->max_length > ROSTER_PASSWORD_LENGTH_MAX)
		return policy_fail(dir, "max_length", p->max_length);
	if (p->required_classes & ~0xFu)
		return policy_fail(dir, "required_classes", p->required_classes);
	if (p->generated_length < p->min_length ||
	    p->generated_length > p->max_length)
		return policy_fail(dir, "generated_length", p->generated_length);
	if (p->hash_cost < 1 || p->hash_cost > 11)
		return policy_fail(dir, "hash_cost", p->hash_cost);
	if (p->reset_ttl < 60 || p->reset_ttl > 90LL * 86400)
		return policy_fail(dir, "reset_ttl", p->reset_ttl);
	if (p->welcome_ttl < 60 || p->welcome_ttl > 90LL * 86400)
		return policy_fail(dir, "welcome_ttl", p->welcome_ttl);
	dir->policy = *p;
	dir->policy.version = ROSTER_PASSWORD_POLICY_VERSION;
	return ROSTER_OK;
}

int roster_directory_get_password_policy(const roster_directory *dir,
					 roster_password_policy *out)
{
	if (!dir || !out)
		return rs_error_tl(ROSTER_EINVAL, dir ? "out" : "dir",
				   "arg.null", NULL);
	/* like every call on a directory (rs_enter); the directory is
	 * read-only here, so the error is the thread's */
	if (dir->in_callback)
		return rs_error_tl(ROSTER_EMISUSE, NULL, "reentrant", NULL);
	if (out->version < 1 || out->version > ROSTER_PASSWORD_POLICY_VERSION) {
		char v[24];

		snprintf(v, sizeof(v), "%u", out->version);
		return rs_error_tl(ROSTER_EVERSION, "version", "arg.version",
				   v);
	}
	/* version 1 is the whole struct today; later versions append */
	{
		unsigned int v = out->version;
		*out = dir->policy;
		out->version = v;
	}
	return ROSTER_OK;
}

static unsigned classes_of(const char *pw)
{
	unsigned c = 0;

	for (; *pw; pw++) {
		unsigned char ch = (unsigned char)*pw;
		if (ch >= 'a' && ch <= 'z')
			c |= ROSTER_CLASS_LOWER;
		else if (ch >= 'A' && ch <= 'Z')
			c |= ROSTER_CLASS_UPPER;
		else if (ch >= '0' && ch <= '9')
			c |= ROSTER_CLASS_DIGIT;
		else
			c |= ROSTER_CLASS_SYMBOL;
	}
	return c;
}

/*
 * Check against the policy; 0 or a recorded ROSTER_EINVALID. A password
 * `typed` (before NFKC) is checked for its bytes (their bound, UTF-8, no
 * control or format character) only: the policy's lengths and classes
 * count the characters kept, as 100 "é" typed decomposed are 200 code
 * points and 100 characters kept, and four "ﬃ" are 4 typed and 12 kept.
 */
static int check(roster_directory *dir, const char *pw, int typed)
{
	const roster_password_policy *p = &dir->policy;
	size_t len = strnlen(pw, RS_PASSWORD_BYTES_MAX), chars;

	/* only the first bytes are read, and they may end inside a
	 * character: past them the password is too long, whatever its
	 * bytes */
	if (len >= RS_PASSWORD_BYTES_MAX)
		return rs_fail_limit(dir, ROSTER_EINVALID, "password",
				     "password.long", NULL, p->max_length);
	if (!rs_utf8_valid(pw, len))
		return rs_fail(dir, ROSTER_EINVALID, "password", "password.utf8",
			       NULL);
	for (chars = 0; chars < len;) {
		int unsafe = 0;
		chars += rs_utf8_step(pw + chars, len - chars, &unsafe);
		if (unsafe)
			return rs_fail(dir, ROSTER_EINVALID, "password",
				       "text.control", NULL);
	}
	if (typed)
		return ROSTER_OK;
	chars = rs_utf8_chars(pw);
	if (chars < p->min_length)
		return rs_fail_limit(dir, ROSTER_EINVALID, "password",
				     "password.length", NULL, p->min_length);
	if (chars > p->max_length)
		return rs_fail_limit(dir, ROSTER_EINVALID, "password",
				     "password.long", NULL, p->max_length);
	if ((classes_of(pw) & p->required_classes) != p->required_classes)
		return rs_fail(dir, ROSTER_EINVALID, "password",
			       "password.classes", NULL);
	return ROSTER_OK;
}

int rs_password_chosen(roster_directory *dir, const char *pw, char **form)
{
	int rc;

	*form = NULL;
	if ((rc = check(dir, pw, 1)))
		return rc;
	switch (rs_text_nfkc(&dir->al, pw, form)) {
	case 0:
		break;
	case -1:
		return rs_nomem(dir);
	default: /* checked above */
		return rs_fail(dir, ROSTER_EINVALID, "password", "password.utf8",
			       NULL);
	}
	/* its length and classes as it is kept */
	if ((rc = check(dir, *form, 0))) {
		rs_free_secret(&dir->al, *form);
		*form = NULL;
	}
	return rc;
}

int roster_password_check(roster_directory *dir, const char *password)
{
	char *form;
	int rc = rs_enter(dir);

	if (rc)
		return rc;
	if (!password)
		return rs_fail(dir, ROSTER_EINVAL, "password", "arg.null", NULL);
	if (!(rc = rs_password_chosen(dir, password, &form)))
		rs_free_secret(&dir->al, form);
	return rc;
}

int rs_password_hash(roster_directory *dir, const char *pw, unsigned cost,
		     char **out)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *data;
	char *res;

	*out = NULL;
	if (!crypt_gensalt_rn("$y$", cost, NULL, 0, setting, sizeof(setting)))
		return rs_fail(dir, ROSTER_ERROR, "password", "password.hash",
			       NULL);
	data = rs_calloc(&dir->al, 1, sizeof(*data));
	if (!data)
		return rs_nomem(dir);
	res = crypt_rn(pw, setting, data, (int)sizeof(*data));
	if (!res || res[0] == '*') {
		rs_wipe(data, sizeof(*data));
		rs_free(&dir->al, data);
		return rs_fail(dir, ROSTER_ERROR, "password", "password.hash",
			       NULL);
	}
	*out = rs_strdup(&dir->al, res);
	rs_wipe(data, sizeof(*data));
	rs_free(&dir->al, data);
	return *out ? ROSTER_OK : rs_nomem(dir);
}

/*
 * The parameters crypt_gensalt gives yescrypt for each cost a policy may
 * set, 1 to 11, as a hash names them after "$y$". A stored hash naming
 * others was not written by roster, and checking a password against it
 * may take any time and memory (each step of N doubles both: "jJT"
 * takes a minute).
 */
static const char yescrypt_params[][4] = { "j75", "j85", "j7T", "j8T",
					   "j9T", "jAT", "jBT", "jCT",
					   "jDT", "jET", "jFT" };

int rs_password_hash_known(const char *hash, size_t n)
{
	size_t i;

	if (n < 8 || memcmp(hash, "$y$", 3) != 0 || hash[6] != '$')
		return 0;
	for (i = 0; i < sizeof(yescrypt_params) / sizeof(yescrypt_params[0]);
	     i++)
		if (memcmp(hash + 3, yescrypt_params[i], 3) == 0)
			return 1;
	return 0;
}

int rs_password_verify(roster_directory *dir, const char *hash,
		       const char *pw)
{
	struct crypt_data *data;
	const char *res;
	size_t i, n, rn;
	unsigned char diff = 0;

	if (!hash)
		return 0;
	data = rs_calloc(&dir->al, 1, sizeof(*data));
	if (!data)
		return -1;
	res = crypt_rn(pw, hash, data, (int)sizeof(*data));
	if (!res || res[0] == '*') {
		rs_wipe(data, sizeof(*data));
		rs_free(&dir->al, data);
		return 0;
	}
	/* constant time over the stored hash's length */
	n = strlen(hash);
	rn = strlen(res);
	diff |= (unsigned char)(rn != n);
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(hash[i] ^ (i < rn ? res[i] : 0));
	rs_wipe(data, sizeof(*data));
	rs_free(&dir->al, data);
	return diff == 0;
}

/* A uniform index below n (n <= 256) from the CSPRNG. */
static int random_index(rs_rng *rng, unsigned n, unsigned *out)
{
	unsigned char b;
	unsigned limit = 256 - 256 % n;

	do {
		if (rs_rng_bytes(rng, &b, 1))
			return -1;
	} while (b >= limit);
	*out = b % n;
	return 0;
}

int rs_password_new(roster_directory *dir, char **out)
{
	/* no look-alike characters (0/O, 1/l/I) */
	static const char alphabet[] = "abcdefghijkmnopqrstuvwxyz"
				       "ABCDEFGHJKLMNPQRSTUVWXYZ"
				       "23456789"
				       "-_.!@#%+=";
	const unsigned n = sizeof(alphabet) - 1;
	unsigned len = dir->policy.generated_length, i, k;
	char *pw;

	*out = NULL;
	pw = rs_malloc(&dir->al, len + 1);
	if (!pw)
		return rs_nomem(dir);
	/* every class is present in practice; draw again until the
	 * policy's required classes are (and always at least three) */
	do {
		for (i = 0; i < len; i++) {
			if (random_index(dir->rng, n, &k)) {
				rs_free_secret(&dir->al, pw);
				return rs_fail(dir, ROSTER_ERROR, NULL,
					       "password.random", NULL);
			}
			pw[i] = alphabet[k];
		}
		pw[len] = '\0';
	} while ((classes_of(pw) & (dir->policy.required_classes |
				    ROSTER_CLASS_LOWER | ROSTER_CLASS_UPPER |
				    ROSTER_CLASS_DIGIT)) !=
		 (dir->policy.required_classes | ROSTER_CLASS_LOWER |
		  ROSTER_CLASS_UPPER | ROSTER_CLASS_DIGIT));
	*out = pw;
	return ROSTER_OK;
}

int roster_password_generate(roster_directory *dir, char *buf, size_t size)
{
	char *pw;
	int rc = rs_enter(dir);

	if (rc)
		return rc;
	if (!buf)
		return rs_fail(dir, ROSTER_EINVAL, "buf", "arg.null", NULL);
	if (size <= dir->policy.generated_length)
		return rs_fail_id(dir, ROSTER_EINVAL, "size", "arg.range", size);
	if ((rc = rs_password_new(dir, &pw)))
		return rc;
	memcpy(buf, pw, strlen(pw) + 1);
	rs_free_secret(&dir->al, pw);
	return ROSTER_OK;
}

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char hex[] = "0123456789abcdef";

/* n bytes in base64url without padding, then a NUL, into out (room for
 * (4 n + 2) / 3 + 1 bytes); returns the digits written. */
static size_t b64url_encode(const uint8_t *d, size_t n, char *out)
{
	size_t i, w = 0;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)d[i + 1] << 8;
		if (i + 2 < n)
			v |= d[i + 2];
		out[w++] = b64url[(v >> 18) & 63];
		out[w++] = b64url[(v >> 12) & 63];
		if (i + 1 < n)
			out[w++] = b64url[(v >> 6) & 63];
		if (i + 2 < n)
			out[w++] = b64url[v & 63];
	}
	out[w] = '\0';
	return w;
}

int rs_token_new(roster_directory *dir, roster_id user, char **token,
		 char **hash)
{
	unsigned char raw[33];
	char secret[45], buf[80], digits[24];
	unsigned long long v = user;
	size_t w, n = 0, d = 0;
	int rc;

	*token = *hash = NULL;
	if (rs_rng_bytes(dir->rng, raw, sizeof(raw)))
		return rs_fail(dir, ROSTER_ERROR, NULL, "password.random", NULL);
	w = b64url_encode(raw, sizeof(raw), secret);
	rs_wipe(raw, sizeof(raw));
	/* "ID.SECRET", written by hand: snprintf cost as much as the rest
	 * of the token but the hash */
	do
		digits[d++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (d)
		buf[n++] = digits[--d];
	buf[n++] = '.';
	memcpy(buf + n, secret, w + 1);
	n += w;
	rc = rs_token_hash(dir, secret, hash);
	rs_wipe(secret, sizeof(secret));
	if (rc == 0 && !(*token = rs_strndup(&dir->al, buf, n))) {
		rs_free(&dir->al, *hash);
		*hash = NULL;
		rc = rs_nomem(dir);
	}
	rs_wipe(buf, sizeof(buf));
	return rc;
}

/*
 * A token's secret carries 264 random bits: a slow password hash would
 * add nothing but cost (it made every creation wait for yescrypt). One
 * SHA-256 through nettle cannot be inverted, and takes the same time
 * whatever the secret.
 */
static void sha256_of(const char *secret, uint8_t d[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, strlen(secret), (const uint8_t *)secret);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, d);
	rs_wipe(&ctx, sizeof(ctx));
}

/* The kept form of a digest: its first TOKEN_DIGEST_SIZE bytes. */
static void kept_of(const uint8_t d[SHA256_DIGEST_SIZE],
		    char out[TOKEN_KEPT_SIZE])
{
	out[0] = '#';
	b64url_encode(d, TOKEN_DIGEST_SIZE, out + 1);
}

/* The stored form of a digest: its first TOKEN_DIGEST_SIZE bytes. */
static void stored_of(const uint8_t d[SHA256_DIGEST_SIZE],
		      char out[TOKEN_HASH_SIZE])
{
	size_t i, p = sizeof(TOKEN_HASH_PREFIX) - 1;

	memcpy(out, TOKEN_HASH_PREFIX, p);
	for (i = 0; i < TOKEN_DIGEST_SIZE; i++) {
		out[p + 2 * i] = hex[d[i] >> 4];
		out[p + 2 * i + 1] = hex[d[i] & 15];
	}
	out[TOKEN_HASH_SIZE - 1] = '\0';
}

/* 1 + the value of each base64url digit, 0 for any other byte */
static const unsigned char b64url_values[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27,
	['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37,
	['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47,
	['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62,
	['-'] = 63, ['_'] = 64,
};

/* The value of a base64url digit, -1 for any other byte. */
static int b64url_digit(char c)
{
	return (int)b64url_values[(unsigned char)c] - 1;
}

int rs_token_hash_stored(const char *kept, char out[TOKEN_HASH_SIZE])
{
	uint8_t d[SHA256_DIGEST_SIZE];
	uint32_t acc = 0;
	size_t i, bits = 0, n = 0;

	if (kept[0] != '#' || strlen(kept) != TOKEN_KEPT_SIZE - 1)
		return -1;
	for (i = 1; i < TOKEN_KEPT_SIZE - 1; i++) {
		int v = b64url_digit(kept[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* 22 digits: 132 bits, the last 4 zero in the kept form */
	if (n != TOKEN_DIGEST_SIZE || (acc & ((1u << bits) - 1)))
		return -1;
	stored_of(d, out);
	return 0;
}

int rs_token_hash_kept(const char *stored, char out[TOKEN_KEPT_SIZE])
{
	const size_t p = sizeof(TOKEN_HASH_PREFIX) - 1;
	const size_t pf = sizeof(TOKEN_HASH_PREFIX_FULL) - 1;
	uint8_t d[SHA256_DIGEST_SIZE];
	size_t len = strlen(stored);

	if (!strncmp(stored, TOKEN_HASH_PREFIX, p) &&
	    len == TOKEN_HASH_SIZE - 1) {
		if (rs_hex_bytes(stored + p, d, TOKEN_DIGEST_SIZE))
			return -1;
	} else if (!strncmp(stored, TOKEN_HASH_PREFIX_FULL, pf) &&
		   len == pf + 2 * SHA256_DIGEST_SIZE) {
		/* an earlier build's whole digest: all of it well formed,
		 * its first half kept */
		if (rs_hex_bytes(stored + pf, d, SHA256_DIGEST_SIZE))
			return -1;
	} else {
		return -1;
	}
	kept_of(d, out);
	return 0;
}

int rs_token_hash(roster_directory *dir, const char *secret, char **hash)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	char buf[TOKEN_KEPT_SIZE];

	sha256_of(secret, d);
	kept_of(d, buf);
	rs_wipe(d, sizeof(d));
	*hash = rs_strdup(&dir->al, buf);
	return *hash ? ROSTER_OK : rs_nomem(dir);
}

/* a and b, each of n bytes, equal, in a time that depends on n alone */
static int same_bytes(const char *a, const char *b, size_t n)
{
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

int rs_token_verify(roster_directory *dir, const char *hash,
		    const char *secret)
{
	char buf[TOKEN_KEPT_SIZE], want[TOKEN_KEPT_SIZE];
	uint8_t d[SHA256_DIGEST_SIZE];
	int ok = 0;

	/* hashes written by earlier builds were yescrypt strings (the
	 * codec refuses others) */
	if (hash && hash[0] != '#' && strncmp(hash, "$sha256", 7))
		return rs_password_verify(dir, hash, secret);
	sha256_of(secret, d);
	kept_of(d, buf);
	/* a hash read from a store may have any length: compared only when
	 * it has that of its form, or turns into it */
	if (hash && hash[0] == '#')
		ok = strlen(hash) == TOKEN_KEPT_SIZE - 1 &&
		     same_bytes(buf, hash, TOKEN_KEPT_SIZE);
	else if (hash && rs_token_hash_kept(hash, want) == 0)
		ok = same_bytes(buf, want, TOKEN_KEPT_SIZE);
	rs_wipe(d, sizeof(d));
	rs_wipe(buf, sizeof(buf));
	return ok;
}

int rs_token_parse(const char *token, roster_id *user, const char **secret)
{
	roster_id id = 0;
	const char *p = token;

	if (!*p || *p == '0')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (id > (UINT64_MAX - 9) / 10)
			return -1;
		id = id * 10 + (roster_id)(*p - '0');
	}
	if (*p != '.' || strlen(p + 1) != 44)
		return -1;
	*user = id;
	*secret = p + 1;
	return 0;
}
