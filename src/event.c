/* event.c: what the host reads of an event. */
#include "txn.h"

static const char *const type_names[] = {
	NULL,
	"user.created",
	"user.updated",
	"user.deleted",
	"user.role_changed",
	"email.welcome",
	"email.password_reset",
	"pbx.reload",
	"account.created",
	"account.updated",
	"account.deleted",
	"partner.created",
	"user.registered",
	"user.password_changed",
};

const char *roster_event_type_name(int type)
{
	if (type < 1 || (size_t)type >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[type];
}

int roster_event_type_of(const roster_event *event)
{
	return event ? event->type : 0;
}

uint64_t roster_event_seq(const roster_event *event)
{
	return event ? event->seq : 0;
}

roster_id roster_event_partner(const roster_event *event)
{
	return event ? event->partner : 0;
}

roster_id roster_event_account(const roster_event *event)
{
	return event ? event->account : 0;
}

roster_id roster_event_user(const roster_event *event)
{
	return event ? event->user : 0;
}

roster_id roster_event_pbx(const roster_event *event)
{
	return event ? event->pbx : 0;
}

const char *roster_event_email(const roster_event *event)
{
	return event ? event->email : NULL;
}

const char *roster_event_secret(const roster_event *event)
{
	return event ? event->secret : NULL;
}

const char *roster_event_password(const roster_event *event)
{
	return event ? event->password : NULL;
}

int roster_event_admin(const roster_event *event)
{
	return event ? event->admin : 0;
}

int roster_event_replayed(const roster_event *event)
{
	return event ? event->replayed : 0;
}

int roster_event_withheld(const roster_event *event)
{
	return event ? event->withheld : 0;
}
