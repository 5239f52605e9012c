/*
 * consumer.c: a program built against the installed roster through its
 * pkg-config file only (tests/abi/check-install.sh).
 */
#include <stdio.h>

#include <roster.h>

int main(void)
{
	roster_directory *dir = NULL;
	roster_actor system;
	roster_id partner = 0;
	int rc;

	rc = roster_directory_open(&dir, NULL);
	if (rc == ROSTER_OK)
		rc = roster_actor_init(&system, ROSTER_ACTOR_SYSTEM, 0);
	if (rc == ROSTER_OK)
		rc = roster_partner_create(&partner, dir, &system, "Consumer");
	if (rc != ROSTER_OK || partner == 0) {
		fprintf(stderr, "consumer: %s\n", roster_strerror(rc));
		roster_directory_free(dir);
		return 1;
	}
	printf("roster %s (headers %s), partner created\n",
	       roster_version_string(), ROSTER_VERSION_STRING);
	roster_directory_free(dir);
	return 0;
}
