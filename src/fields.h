/*
 * fields.h (internal): what roster knows of each user field.
 */
#ifndef RS_FIELDS_H
#define RS_FIELDS_H

#include "roster.h"

#define RS_F_SELF 0x1	  /* self-service: a user may edit their own (002) */
#define RS_F_PBX 0x2	  /* the PBX uses it: a change needs a reload (001) */
#define RS_F_READONLY 0x4 /* set by roster itself, or by the host only */
#define RS_F_ADDRESS 0x8  /* part of the civic address */
#define RS_F_ITEM 0x10	  /* the identifier of a catalog item */

typedef struct rs_field_info {
	const char *name;
	int type;
	unsigned flags;
	size_t max_chars; /* strings: longest value */
} rs_field_info;

/* Information on a field, NULL when unknown. */
const rs_field_info *rs_field(int field);

/* The canonical spelling of a supported phone language, NULL if none. */
const char *rs_phone_language(const char *tag);

#endif
