/*
 * validate.h (internal): syntax rules of single values. Pure functions:
 * each returns NULL when the value is accepted (writing its normal form)
 * or the identifier of the rule it breaks.
 */
#ifndef RS_VALIDATE_H
#define RS_VALIDATE_H

#include <stddef.h>

/* E-mail login: out (>= 255 bytes) gets the trimmed address, key the
 * lower-case form used for uniqueness. */
const char *rs_valid_email(const char *in, char *out, char *key);
/* Longer inputs are refused as "email.syntax" before any other rule. */
#define RS_EMAIL_INPUT_MAX 1000
/* The login key alone, for lookups: key (>= 255 bytes) gets what
 * rs_valid_email would give an accepted address (blanks trimmed, ASCII
 * lower-cased) and *len its length. Only the lengths are checked, not
 * the syntax: a lookup compares it with keys of valid addresses, which a
 * key of another text never equals. */
const char *rs_email_key(const char *in, char *key, size_t *len);
/* An extension without the blanks around it (space, tab, CR, LF: a
 * file's or a pretty-printed XML element's) into `out` (at least
 * RS_EXTENSION_MAX + 1 bytes); "extension.digits" when it is longer
 * than RS_EXTENSION_MAX so, or its text longer than 63 bytes. Its
 * digits are checked against its PBX (rs_valid_extension). */
#define RS_EXTENSION_MAX 8
const char *rs_extension_trim(const char *in, char *out);
/* E.164: out (>= 17 bytes) gets "+" and the digits. */
const char *rs_valid_e164(const char *in, char *out);
/* The country calling code that begins `digits` (an E.164 number's,
 * without its '+'): its length (1 to 3), 0 when no code begins them;
 * *trunk gets the national prefix dialled before a national number of
 * that country ("0" in France, "" in the Czech Republic). The codes are
 * libphonenumber's (calling_codes.h). */
size_t rs_calling_code(const char *digits, const char **trunk);
/* Are the `n` digits at `digits` (not NUL-terminated) a whole country
 * calling code whose country dials 0 before a national number? Then a
 * "(0)" after them is not dialled: a phone's setter and a query leave it
 * out ("+33 (0)1 44"), and keep it elsewhere ("+39 (0)6"). */
int rs_dials_zero(const char *digits, size_t n);
/* The calling code of `region` (ISO 3166-1 alpha-2, either case), 0 when
 * libphonenumber knows no such region; *trunk (may be NULL) gets its
 * national prefix ("" when none). */
unsigned rs_region_code(const char *region, const char **trunk);
/* A number written as dialled in `region` (a national number: "01 44 55
 * 66 77" in France) into E.164, as rs_valid_e164 writes it: the national
 * prefix left out, the region's calling code put before. A number
 * written with its '+' or "00" is taken as it is (rs_valid_e164). */
const char *rs_national_e164(const char *in, const char *region, char *out);
/* ISO 3166-1 alpha-2: out (>= 3 bytes) gets the upper-case code. */
const char *rs_valid_country(const char *in, char *out);
/* Extension digits under a PBX's rules. */
const char *rs_valid_extension(const char *ext, unsigned min_digits,
			       unsigned max_digits);

/* A catalog item identifier: 1..32 of [a-z0-9-]. */
const char *rs_valid_item_id(const char *id);

#endif
