/* harness.c: the shared test world. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t fake_clock(void *data)
{
	return ((world *)data)->now;
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void record(const roster_event *e, void *data)
{
	world *w = data;
	rec_event *r;

	if (w->nevents >= EVENTS_MAX)
		return;
	r = &w->events[w->nevents++];
	r->type = roster_event_type_of(e);
	r->seq = roster_event_seq(e);
	r->partner = roster_event_partner(e);
	r->account = roster_event_account(e);
	r->user = roster_event_user(e);
	r->pbx = roster_event_pbx(e);
	r->admin = roster_event_admin(e);
	copy(r->email, sizeof(r->email), roster_event_email(e));
	copy(r->secret, sizeof(r->secret), roster_event_secret(e));
	copy(r->password, sizeof(r->password), roster_event_password(e));
}

roster_actor actor_of(int kind, roster_id id)
{
	roster_actor a;

	assert_int_equal(roster_actor_init(&a, kind, id), ROSTER_OK);
	return a;
}

int world_user(world *w, const roster_actor *actor, roster_id account,
	       const char *first, const char *last, const char *email,
	       int admin, roster_id *out)
{
	roster_form *f = NULL;
	int rc;

	assert_int_equal(roster_form_new(&f, w->dir), ROSTER_OK);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, first), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, last), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, email), 0);
	if (admin)
		assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1), 0);
	rc = roster_user_create(out, w->dir, actor, account, f);
	roster_form_free(f);
	return rc;
}

world *world_new(const roster_directory_options *base)
{
	roster_directory_options opts;
	roster_password_policy pol;
	world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	if (base)
		opts = *base;
	else
		assert_int_equal(roster_directory_options_init(
					 &opts, ROSTER_DIRECTORY_OPTIONS_VERSION),
				 0);
	w->now = 1700000000;
	opts.event_cb = record;
	opts.event_data = w;
	opts.clock_fn = fake_clock;
	opts.clock_data = w;
	assert_int_equal(roster_directory_open(&w->dir, &opts), ROSTER_OK);
	roster_password_policy_init(&pol, ROSTER_PASSWORD_POLICY_VERSION);
	pol.hash_cost = 1;
	pol.min_length = 8;
	pol.generated_length = 12;
	assert_int_equal(roster_directory_set_password_policy(w->dir, &pol), 0);

	w->system = actor_of(ROSTER_ACTOR_SYSTEM, 0);
	assert_int_equal(roster_partner_create(&w->partner, w->dir, &w->system,
					       "Partner One"), 0);
	w->as_partner = actor_of(ROSTER_ACTOR_PARTNER, w->partner);
	assert_int_equal(roster_account_create(&w->account, w->dir,
					       &w->as_partner, w->partner,
					       "Acme"), 0);
	assert_int_equal(roster_pbx_create(&w->pbx, w->dir, &w->as_partner,
					   w->account, "Main PBX", 3, 4), 0);
	assert_int_equal(roster_site_create(&w->site, w->dir, &w->as_partner,
					    w->account, "Paris"), 0);
	assert_int_equal(roster_group_create(&w->group, w->dir, &w->as_partner,
					     w->account, "Sales"), 0);
	assert_int_equal(world_user(w, &w->as_partner, w->account, "Ada",
				    "Admin", "ada@acme.example", 1, &w->admin),
			 0);
	w->as_admin = actor_of(ROSTER_ACTOR_USER, w->admin);

	assert_int_equal(roster_partner_create(&w->other_partner, w->dir,
					       &w->system, "Partner Two"), 0);
	w->as_other_partner = actor_of(ROSTER_ACTOR_PARTNER, w->other_partner);
	assert_int_equal(roster_account_create(&w->other_account, w->dir,
					       &w->as_other_partner,
					       w->other_partner, "Globex"), 0);
	assert_int_equal(world_user(w, &w->as_other_partner, w->other_account,
				    "Otto", "Other", "otto@globex.example", 1,
				    &w->other_admin), 0);
	w->as_other_admin = actor_of(ROSTER_ACTOR_USER, w->other_admin);
	world_events_clear(w);
	return w;
}

void world_free(world *w)
{
	if (!w)
		return;
	roster_directory_free(w->dir);
	free(w);
}

int set_note(roster_directory *d, const roster_actor *a, roster_id u,
	     const char *note)
{
	roster_form *f = NULL;
	int rc;

	assert_int_equal(roster_form_new(&f, d), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, note), 0);
	rc = roster_user_update(d, a, u, f);
	roster_form_free(f);
	return rc;
}

uint64_t user_version(roster_directory *d, roster_id id)
{
	roster_user *u = NULL;
	uint64_t v;

	assert_int_equal(roster_user_get(&u, d, id), 0);
	v = roster_user_version(u);
	roster_user_free(u);
	return v;
}

size_t world_count(const world *w, int type)
{
	size_t i, n = 0;

	for (i = 0; i < w->nevents; i++)
		n += w->events[i].type == type;
	return n;
}

const rec_event *world_last(const world *w, int type)
{
	size_t i = w->nevents;

	while (i--)
		if (w->events[i].type == type)
			return &w->events[i];
	return NULL;
}

void world_events_clear(world *w)
{
	w->nevents = 0;
}

char *catalog_xml_copy(void)
{
	const char *xml = roster_catalog_default_xml();
	char *copy = malloc(strlen(xml) + 1);

	assert_non_null(copy);
	memcpy(copy, xml, strlen(xml) + 1);
	return copy;
}

void catalog_xml_edit(char *xml, const char *from, const char *to)
{
	char *at = strstr(xml, from);

	assert_non_null(at);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(at, to, strlen(to));
}

roster_catalog *catalog_xml_load(const char *xml)
{
	roster_catalog *cat = NULL;

	assert_int_equal(roster_catalog_load_buffer(&cat, xml, strlen(xml),
						    "edited.xml"),
			 ROSTER_OK);
	return cat;
}

roster_directory_options memstore_options(roster_memstore *ms)
{
	roster_directory_options o;

	assert_int_equal(roster_directory_options_init(
				 &o, ROSTER_DIRECTORY_OPTIONS_VERSION), 0);
	o.storage = roster_memstore_methods();
	o.store = ms;
	return o;
}
