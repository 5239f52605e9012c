/*
 * searched.h: the fields whose words search as you type finds (a user's
 * lines too), in the order the search tests' oracles fold them: the
 * first and last names first (docs/architecture.md, Search).
 */
#ifndef ROSTER_TEST_SEARCHED_H
#define ROSTER_TEST_SEARCHED_H

#include "roster.h"

static const int searched_fields[] = { ROSTER_FIELD_FIRST_NAME,
				       ROSTER_FIELD_LAST_NAME,
				       ROSTER_FIELD_DISPLAY_NAME,
				       ROSTER_FIELD_EMAIL,
				       ROSTER_FIELD_EXTENSION,
				       ROSTER_FIELD_PHONE };
#define NSEARCHED (sizeof(searched_fields) / sizeof(searched_fields[0]))

#endif
