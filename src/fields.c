/* fields.c: the user fields and the supported phone languages. */
#include <string.h>
#include <strings.h>

#include "error.h"
#include "fields.h"

#define S ROSTER_TYPE_STRING
#define B ROSTER_TYPE_BOOL
#define R ROSTER_TYPE_REF
#define L ROSTER_TYPE_LIST

static const rs_field_info fields[ROSTER_FIELD_END] = {
	[ROSTER_FIELD_FIRST_NAME] = { "first_name", S, RS_F_SELF | RS_F_PBX, 100 },
	[ROSTER_FIELD_LAST_NAME] = { "last_name", S, RS_F_SELF | RS_F_PBX, 100 },
	[ROSTER_FIELD_DISPLAY_NAME] = { "display_name", S, RS_F_SELF | RS_F_PBX, 100 },
	[ROSTER_FIELD_EMAIL] = { "email", S, RS_F_SELF, 254 },
	[ROSTER_FIELD_PASSWORD] = { "password", S, RS_F_SELF, 256 },
	[ROSTER_FIELD_PHONE] = { "phone", S, RS_F_SELF, 32 },
	[ROSTER_FIELD_ADDRESS_STREET] = { "address_street", S, RS_F_SELF | RS_F_ADDRESS, 200 },
	[ROSTER_FIELD_ADDRESS_EXTRA] = { "address_extra", S, RS_F_SELF | RS_F_ADDRESS, 200 },
	[ROSTER_FIELD_ADDRESS_LOCALITY] = { "address_locality", S, RS_F_SELF | RS_F_ADDRESS, 100 },
	[ROSTER_FIELD_ADDRESS_REGION] = { "address_region", S, RS_F_SELF | RS_F_ADDRESS, 100 },
	[ROSTER_FIELD_ADDRESS_POSTCODE] = { "address_postcode", S, RS_F_SELF | RS_F_ADDRESS, 16 },
	[ROSTER_FIELD_ADDRESS_COUNTRY] = { "address_country", S, RS_F_SELF | RS_F_ADDRESS, 2 },
	[ROSTER_FIELD_LANGUAGE] = { "language", S, RS_F_SELF | RS_F_PBX, 16 },
	[ROSTER_FIELD_GROUP] = { "group", R, 0, 0 },
	[ROSTER_FIELD_SITE] = { "site", R, 0, 0 },
	[ROSTER_FIELD_PBX] = { "pbx", R, RS_F_PBX, 0 },
	[ROSTER_FIELD_EXTENSION] = { "extension", S, RS_F_PBX, 8 },
	[ROSTER_FIELD_LINES] = { "lines", L, RS_F_PBX, 32 },
	[ROSTER_FIELD_NOTE] = { "note", S, 0, 1000 },
	[ROSTER_FIELD_TWO_FACTOR] = { "two_factor", B, RS_F_SELF, 0 },
	[ROSTER_FIELD_API_COMMUNICATOR] = { "api_communicator", B, 0, 0 },
	[ROSTER_FIELD_STATUTORY] = { "statutory", B, 0, 0 },
	[ROSTER_FIELD_DO_NOT_BILL] = { "do_not_bill", B, 0, 0 },
	[ROSTER_FIELD_SYSTEM_USER] = { "system_user", B, 0, 0 },
	[ROSTER_FIELD_ADMIN] = { "admin", B, 0, 0 },
	[ROSTER_FIELD_REGISTERED] = { "registered", B, RS_F_READONLY, 0 },
	[ROSTER_FIELD_LICENCE] = { "licence", S, RS_F_PBX | RS_F_ITEM, ROSTER_ITEM_ID_MAX },
	[ROSTER_FIELD_PACK] = { "pack", S, RS_F_PBX | RS_F_ITEM, ROSTER_ITEM_ID_MAX },
	[ROSTER_FIELD_HELPDESK] = { "helpdesk", B, 0, 0 },
	[ROSTER_FIELD_CLOUD] = { "cloud", B, RS_F_READONLY, 0 },
	[ROSTER_FIELD_IOT] = { "iot", B, RS_F_READONLY, 0 },
};

const rs_field_info *rs_field(int field)
{
	if (field < 1 || field >= ROSTER_FIELD_END)
		return NULL;
	return &fields[field];
}

const char *roster_field_name(int field)
{
	const rs_field_info *fi = rs_field(field);

	return fi ? fi->name : NULL;
}

int roster_field_from_name(const char *name)
{
	int f;

	if (!name)
		return 0;
	for (f = 1; f < ROSTER_FIELD_END; f++)
		if (strcmp(fields[f].name, name) == 0)
			return f;
	return 0;
}

int roster_field_type(int field)
{
	const rs_field_info *fi = rs_field(field);

	return fi ? fi->type : 0;
}

const char *roster_field_label(int field, roster_language lang)
{
	const rs_field_info *fi = rs_field(field);

	if (!fi || (int)lang < 0 || lang >= ROSTER_LANG_COUNT)
		return NULL;
	return rs_i18n_label(fi->name, lang);
}

/* Languages with sound files on the PBX (002). */
static const char *const phone_languages[] = {
	"cs-CZ", "de-AT", "de-CH", "de-DE", "en-AU", "en-CA", "en-GB",
	"en-US", "es-ES", "fr-BE", "fr-CA", "fr-CH", "fr-FR", "it-IT",
	"nl-BE", "nl-NL", "pl-PL", "pt-PT", "sk-SK",
};

const char *roster_phone_language(size_t index)
{
	if (index >= sizeof(phone_languages) / sizeof(phone_languages[0]))
		return NULL;
	return phone_languages[index];
}

const char *rs_phone_language(const char *tag)
{
	size_t i;

	for (i = 0; i < sizeof(phone_languages) / sizeof(phone_languages[0]); i++) {
		const char *l = phone_languages[i];
		if (strlen(tag) == 5 && strncasecmp(l, tag, 2) == 0 &&
		    (tag[2] == '-' || tag[2] == '_') &&
		    strncasecmp(l + 3, tag + 3, 2) == 0)
			return l;
	}
	return NULL;
}
