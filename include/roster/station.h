/*
 * station.h: station packs and the inventory of each site (000).
 *
 * A user is given a station pack (the user field "pack": Premium,
 * Standard, Basic in the default catalog), and with it a station of the
 * user's site. Each site keeps, per pack, the stations purchased from the
 * provider; those in service are the site's users with that pack, and the
 * rest are available. So:
 *
 * - a user with a pack needs a site ("pack.site") and a station available
 *   there ("pack.none_available");
 * - a change of pack, or of site, frees the old station, which stays
 *   purchased and available until given to another user or disconnected;
 * - ordering adds purchased stations; a disconnect order removes
 *   available ones and is refused for stations in service
 *   ("station.in_service");
 * - a change to a pack with fewer clients, or to no pack, is a downgrade
 *   and needs the form's confirmation (user.h, roster_form_confirm),
 *   asked for once a station is found: a change no station allows is
 *   refused for that, as the choices say first.
 *
 * Always, also with several directories on one store racing for the last
 * station: in service never exceeds purchased.
 */
#ifndef ROSTER_STATION_H
#define ROSTER_STATION_H

#include "actor.h"
#include "directory.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most stations of one pack a site may have purchased. */
#define ROSTER_STATIONS_MAX 1000000u

/**
 * Add `count` purchased stations of `pack` to a site (partner and
 * system). ROSTER_EINVAL for a count of 0 or one that would pass
 * ROSTER_STATIONS_MAX; ROSTER_EINVALID "pack.unknown".
 */
ROSTER_API int roster_station_order(roster_directory *dir,
				    const roster_actor *actor, roster_id site,
				    const char *pack, unsigned int count);

/**
 * Remove `count` available stations of `pack` from a site (partner and
 * system). ROSTER_EPOLICY "station.in_service" when fewer are available
 * (the value gives both numbers); nothing is removed then. A pack the
 * catalog has dropped may still be disconnected (and counted) while the
 * site holds stations of it; ROSTER_EINVALID "pack.unknown" otherwise.
 */
ROSTER_API int roster_station_disconnect(roster_directory *dir,
					 const roster_actor *actor,
					 roster_id site, const char *pack,
					 unsigned int count);

/**
 * The inventory of one pack at a site: purchased and in service (either
 * pointer may be NULL); available is their difference. Any user of the
 * account, its admins, its partner and the system may read it.
 */
ROSTER_API int roster_station_counts(roster_directory *dir,
				     const roster_actor *actor, roster_id site,
				     const char *pack, size_t *purchased,
				     size_t *in_service);

#ifdef __cplusplus
}
#endif

#endif
