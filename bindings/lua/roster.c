/*
 * roster.c: the Lua 5.4 module "roster" over the C API.
 *
 *     local roster = require "roster"
 *     local dir <close> = roster.open{ path = "portal.store",
 *                                      on_event = function(e) ... end }
 *     local p = dir:partner_create(roster.SYSTEM, "Reseller")
 *
 * See bindings/lua/example.lua for a tour and test_roster.lua for every
 * call. Refusals raise an error object, a table with code, name, field,
 * rule, value and message (roster.is_error tells it apart).
 *
 * Lua errors are raised only from this file's own frames, after the
 * roster call has returned: a Lua error never unwinds through roster.
 * The event callback runs under lua_pcall inside the C event callback;
 * an error it raises is kept in the directory's userdata and raised once
 * the roster call that delivered the event has returned (the change is
 * committed by then), carrying the import's report when the call was an
 * import (dir:import). Objects roster hands out during a call (forms,
 * snapshots) sit in a small userdata with __gc, so that an error raised
 * while filling or reading them frees them.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include <roster.h>

#if defined(__GNUC__)
#define EXPORT __attribute__((visibility("default")))
#else
#define EXPORT
#endif

#define DIR_MT "roster.directory"
#define STORE_MT "roster.store"
#define ERROR_MT "roster.error"
#define EVENT_ERROR_MT "roster.event_error"
#define BOX_MT "roster.box"

/* user values of a directory's userdata */
#define UV_STORE 1 /* the store userdata it was opened on, or nil */
#define UV_ERROR 2 /* the first error of its event callback, pending */
#define UV_CALLBACK 3 /* its event callback, or nil: a user value, not a
			 registry reference, so that a callback naming its
			 directory does not keep it from being collected */

/* ------------------------------------------------------------------ */
/* Errors                                                              */

static const char *const code_names[] = {
	"OK",	    "ERROR",	 "ENOMEM",   "EINVAL",	    "EINVALID",
	"ENOTFOUND", "EEXISTS",	 "EDENIED",  "EPOLICY",	    "ECONFIRM",
	"ECONFLICT", "ESTORAGE", "EMISUSE",  "EUSER",	    "EPASSTHROUGH",
	"EEXPIRED",  "EPARSE",	 "EVERSION", "EAUTH",
};
#define CODE_COUNT ((int)(sizeof(code_names) / sizeof(code_names[0])))

static const char *code_name(int code)
{
	return code <= 0 && -code < CODE_COUNT ? code_names[-code] : "";
}

static void set_str(lua_State *L, const char *key, const char *value)
{
	lua_pushstring(L, value ? value : "");
	lua_setfield(L, -2, key);
}

/* Push an error object. */
static const char *const lang_tags[ROSTER_LANG_COUNT] = { "en", "fr", "cs" };

/* Set field "messages" of the table on top: the message rendered by
 * `render(err_or_report, i, ...)` in each language, by tag. */
static void set_messages(lua_State *L, const roster_error *err,
			 const roster_import_report *rep, size_t i)
{
	char buf[ROSTER_ERROR_MESSAGE_MAX];
	int l;

	lua_createtable(L, 0, ROSTER_LANG_COUNT);
	for (l = 0; l < ROSTER_LANG_COUNT; l++) {
		if ((err ? roster_error_message_in(err, (roster_language)l, buf,
						   sizeof(buf))
			 : roster_import_error_message_in(
				   rep, i, (roster_language)l, buf,
				   sizeof(buf))) != ROSTER_OK)
			buf[0] = '\0';
		set_str(L, lang_tags[l], buf);
	}
	lua_setfield(L, -2, "messages");
}

/* Push an error table: the one recorded in `err` (a directory's or the
 * thread's, with its message in every language), or, when err is NULL,
 * the binding's own with `code` and `message`. */
static void push_error(lua_State *L, const roster_error *err, int code,
		       const char *message)
{
	if (err)
		code = roster_error_code(err);

	lua_createtable(L, 0, 7);
	lua_pushinteger(L, code);
	lua_setfield(L, -2, "code");
	set_str(L, "name", code_name(code));
	set_str(L, "message", err ? roster_error_message(err) : message);
	set_str(L, "field", err ? roster_error_field(err) : "");
	set_str(L, "rule", err ? roster_error_rule(err) : "");
	set_str(L, "value", err ? roster_error_value(err) : "");
	if (err) {
		set_messages(L, err, NULL, 0);
	} else {
		/* the binding's own: no message in other languages */
		lua_newtable(L);
		lua_setfield(L, -2, "messages");
	}
	luaL_setmetatable(L, ERROR_MT);
}

/* Raise the error recorded in `err` (a directory's or the thread's). */
static int raise_error(lua_State *L, const roster_error *err)
{
	push_error(L, err, 0, NULL);
	return lua_error(L);
}

/* Raise a misuse of the binding itself as ROSTER_EMISUSE. */
static int raise_misuse(lua_State *L, const char *message)
{
	push_error(L, NULL, ROSTER_EMISUSE, message);
	return lua_error(L);
}

static void check_tl(lua_State *L, int rc)
{
	if (rc != ROSTER_OK)
		raise_error(L, roster_error_last());
}

/* check_tl() for a call that takes no directory but is made for one (a
 * form's, a query's or a catalog's setter): the library records its
 * refusal per thread, in English; raise it with its message in `lang`,
 * the directory's, as the directory's own refusals are. */
static void check_tl_in(lua_State *L, int rc, roster_language lang)
{
	char buf[ROSTER_ERROR_MESSAGE_MAX];
	const roster_error *err;

	if (rc == ROSTER_OK)
		return;
	err = roster_error_last();
	push_error(L, err, 0, NULL);
	if (roster_error_message_in(err, lang, buf, sizeof(buf)) ==
		    ROSTER_OK &&
	    buf[0])
		set_str(L, "message", buf);
	lua_error(L);
}

static int error_tostring(lua_State *L)
{
	const char *field, *rule;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "message");
	lua_getfield(L, 1, "name");
	lua_getfield(L, 1, "rule");
	lua_getfield(L, 1, "field");
	rule = lua_tostring(L, 4);
	field = lua_tostring(L, 5);
	lua_pushfstring(L, "roster: %s (%s", luaL_optstring(L, 2, "?"),
			luaL_optstring(L, 3, "?"));
	if (rule && *rule)
		lua_pushfstring(L, ", rule %s", rule);
	else
		lua_pushliteral(L, "");
	if (field && *field)
		lua_pushfstring(L, ", field %s)", field);
	else
		lua_pushliteral(L, ")");
	lua_concat(L, 3);
	return 1;
}

static int l_is_error(lua_State *L)
{
	int is = 0;

	if (lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1)) {
		luaL_getmetatable(L, ERROR_MT);
		is = lua_rawequal(L, -1, -2);
	}
	lua_pushboolean(L, is);
	return 1;
}

/* A string argument, refused when it holds a NUL: C would see only the
 * part before it (a login or a path cut short). */
static const char *check_text(lua_State *L, int idx)
{
	size_t len;
	const char *s = luaL_checklstring(L, idx, &len);

	if (strlen(s) != len)
		luaL_argerror(L, idx, "a string without NUL bytes expected");
	return s;
}

static const char *opt_text(lua_State *L, int idx, const char *def)
{
	return lua_isnoneornil(L, idx) ? def : check_text(L, idx);
}

/* ------------------------------------------------------------------ */
/* Boxes: roster objects that must be freed if a Lua error intervenes   */

typedef struct box {
	void *p;
	void (*free_fn)(void *p);
} box;

static void free_form(void *p)
{
	roster_form_free(p);
}

static void free_user(void *p)
{
	roster_user_free(p);
}

static void free_query(void *p)
{
	roster_query_free(p);
}

static void free_page(void *p)
{
	roster_page_free(p);
}

static void free_report(void *p)
{
	roster_import_report_free(p);
}

static void free_record(void *p)
{
	roster_record_free(p);
}

static void free_choices(void *p)
{
	roster_choices_free(p);
}

static void free_billing(void *p)
{
	roster_billing_free(p);
}

static void free_preview(void *p)
{
	roster_preview_free(p);
}

static void free_catalog(void *p)
{
	roster_catalog_free(p);
}

static int box_gc(lua_State *L)
{
	box *b = luaL_checkudata(L, 1, BOX_MT);

	if (b->p) {
		b->free_fn(b->p);
		b->p = NULL;
	}
	return 0;
}

/* Push an empty box; fill b->p right after the roster call. */
static box *new_box(lua_State *L, void (*free_fn)(void *))
{
	box *b = lua_newuserdatauv(L, sizeof(*b), 0);

	b->p = NULL;
	b->free_fn = free_fn;
	luaL_setmetatable(L, BOX_MT);
	return b;
}

/* ------------------------------------------------------------------ */
/* Stores                                                              */

enum { STORE_FILE = 1, STORE_MEMORY = 2 };

typedef struct lstore {
	void *h;     /* roster_filestore or roster_memstore, NULL once closed */
	int kind;
	int users;   /* open directories on it */
	int orphan;  /* collected while a directory held it: free it last */
} lstore;

static void store_free(lstore *s)
{
	if (!s->h)
		return;
	if (s->kind == STORE_FILE)
		roster_filestore_free(s->h);
	else
		roster_memstore_free(s->h);
	s->h = NULL;
}

static const roster_storage *store_methods(const lstore *s)
{
	return s->kind == STORE_FILE ? roster_filestore_methods()
				     : roster_memstore_methods();
}

static lstore *new_store(lua_State *L, int kind)
{
	lstore *s = lua_newuserdatauv(L, sizeof(*s), 0);

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	luaL_setmetatable(L, STORE_MT);
	return s;
}

static lstore *open_filestore(lua_State *L, const char *path, int nosync)
{
	lstore *s = new_store(L, STORE_FILE);
	roster_filestore *fs = NULL;

	check_tl(L, roster_filestore_open(path,
					  nosync ? ROSTER_FILESTORE_NOSYNC : 0,
					  &fs));
	s->h = fs;
	return s;
}

/* roster.filestore(path [, nosync]) */
static int l_filestore(lua_State *L)
{
	const char *path = check_text(L, 1);

	open_filestore(L, path, lua_toboolean(L, 2));
	return 1;
}

/* roster.memstore() */
static int l_memstore(lua_State *L)
{
	lstore *s = new_store(L, STORE_MEMORY);
	roster_memstore *ms = NULL;

	check_tl(L, roster_memstore_new(&ms));
	s->h = ms;
	return 1;
}

static int store_close(lua_State *L)
{
	lstore *s = luaL_checkudata(L, 1, STORE_MT);

	if (s->users)
		return raise_misuse(L,
				    "close the directories on this store first");
	store_free(s);
	return 0;
}

static int store_gc(lua_State *L)
{
	lstore *s = luaL_checkudata(L, 1, STORE_MT);

	/* a directory that still holds it is collected in the same cycle */
	if (s->users)
		s->orphan = 1;
	else
		store_free(s);
	return 0;
}

static int store_tostring(lua_State *L)
{
	lstore *s = luaL_checkudata(L, 1, STORE_MT);

	lua_pushfstring(L, "roster.store (%s%s)",
			s->kind == STORE_FILE ? "file" : "memory",
			s->h ? "" : ", closed");
	return 1;
}

/* ------------------------------------------------------------------ */
/* Directories                                                         */

typedef struct ldir {
	roster_directory *dir; /* NULL once closed */
	lua_State *L;          /* the state of the roster call under way */
	int owns_store;        /* opened with path=: its store goes with it */
	int pending;           /* UV_ERROR holds a callback's error */
	int lost;              /* events not delivered: no Lua stack left */
	roster_language lang;  /* of names and reasons read by this file */
} ldir;

static ldir *check_dir(lua_State *L)
{
	return luaL_checkudata(L, 1, DIR_MT);
}

/* The directory at index 1, raising a misuse error when it is closed. */
static ldir *check_open(lua_State *L)
{
	ldir *d = check_dir(L);

	if (!d->dir)
		raise_misuse(L, "the directory is closed");
	return d;
}

/* Push an event as a table (copied: roster wipes its secrets after the
 * callback). */
static void push_event(lua_State *L, const roster_event *e)
{
	int withheld = roster_event_withheld(e);
	const char *name = roster_event_type_name(roster_event_type_of(e));
	struct {
		const char *key;
		roster_id id;
	} ids[] = {
		{ "partner", roster_event_partner(e) },
		{ "account", roster_event_account(e) },
		{ "user", roster_event_user(e) },
		{ "pbx", roster_event_pbx(e) },
	};
	struct {
		const char *key;
		const char *s;
	} strs[] = {
		{ "email", roster_event_email(e) },
		{ "secret", roster_event_secret(e) },
		{ "password", roster_event_password(e) },
	};
	size_t i;

	lua_createtable(L, 0, 12);
	lua_pushinteger(L, (lua_Integer)roster_event_seq(e));
	lua_setfield(L, -2, "seq");
	lua_pushstring(L, name ? name : "unknown");
	lua_setfield(L, -2, "type");
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (ids[i].id) {
			lua_pushinteger(L, (lua_Integer)ids[i].id);
			lua_setfield(L, -2, ids[i].key);
		}
	}
	/* copied now: roster wipes the secrets after the callback */
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strs[i].s) {
			lua_pushstring(L, strs[i].s);
			lua_setfield(L, -2, strs[i].key);
		}
	}
	lua_pushboolean(L, roster_event_admin(e));
	lua_setfield(L, -2, "admin");
	lua_pushboolean(L, roster_event_replayed(e));
	lua_setfield(L, -2, "replayed");
	lua_createtable(L, 0, 2);
	if (withheld & ROSTER_WITHHELD_SECRET) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "secret");
	}
	if (withheld & ROSTER_WITHHELD_PASSWORD) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "password");
	}
	lua_setfield(L, -2, "withheld");
}

/* Build and hand one event to the callback (argument 1); runs under
 * lua_pcall. */
static int deliver(lua_State *L)
{
	const roster_event *e = lua_touserdata(L, 2);

	lua_pushvalue(L, 1);
	push_event(L, e);
	lua_call(L, 1, 0);
	return 0;
}

/*
 * The C event callback. It runs inside a roster call made by a method of
 * this file, whose frame is the top of d->L with the directory at index
 * 1. Nothing here may raise: every Lua call that can is under lua_pcall,
 * and storing the error (lua_setiuservalue) does not allocate.
 */
static void on_event(const roster_event *e, void *data)
{
	ldir *d = data;
	lua_State *L = d->L;
	int top;

	if (!L || lua_touserdata(L, 1) != d)
		return;
	if (!lua_checkstack(L, 4)) {
		d->lost++;
		return;
	}
	top = lua_gettop(L);
	lua_pushcfunction(L, deliver);
	if (lua_getiuservalue(L, 1, UV_CALLBACK) != LUA_TFUNCTION) {
		lua_settop(L, top);
		return;
	}
	lua_pushlightuserdata(L, (void *)e);
	if (lua_pcall(L, 2, 0, 0) != LUA_OK && !d->pending) {
		lua_setiuservalue(L, 1, UV_ERROR);
		d->pending = 1;
	}
	lua_settop(L, top);
}

/*
 * Around every roster call that takes the directory: enter() lends it
 * the calling state for the events; finish() takes it back, then raises
 * the call's refusal, else the error of an event callback. A call made
 * from inside an event callback (which roster refuses) leaves the outer
 * call's state and pending error alone.
 */
static lua_State *enter(lua_State *L, ldir *d)
{
	lua_State *prev = d->L;

	if (!prev)
		d->L = L;
	return prev;
}

/*
 * Leave a roster call begun with enter(), before anything that may raise
 * a Lua error: the directory no longer points at this Lua state. Pushes
 * the error the event callback raised during the call, if any, and
 * returns its stack index (0: none).
 */
static int leave(lua_State *L, ldir *d, lua_State *prev)
{
	d->L = prev;
	if (prev || !d->pending)
		return 0;
	lua_getiuservalue(L, 1, UV_ERROR);
	lua_pushnil(L);
	lua_setiuservalue(L, 1, UV_ERROR);
	d->pending = 0;
	return lua_gettop(L);
}

/* What an event callback raised, wrapped to carry a call's result:
 * prints as the value it holds. */
static int event_error_tostring(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "event_error");
	luaL_tolstring(L, -1, NULL);
	return 1;
}

/*
 * Then raise the call's refusal, with the value at stack index `attach`
 * (when not 0) as the error's field `as` ("report"), else the callback's error
 * at `pending` (when not 0), else the events lost. The callback's error
 * of a call that went through carries `attach` too, so that what the
 * call did is not lost with its result: a table gets the field `as`;
 * any other value is raised as a table { event_error = value, [as] =
 * ... } that prints as the value.
 */
static void raise_left(lua_State *L, ldir *d, lua_State *prev, int rc,
		       int pending, int attach, const char *as)
{
	if (rc != ROSTER_OK) {
		const roster_error *err = roster_directory_error(d->dir);

		push_error(L, err, 0, NULL);
		if (attach) {
			lua_pushvalue(L, attach);
			lua_setfield(L, -2, as);
		}
		lua_error(L);
	}
	if (pending) {
		if (attach && lua_type(L, pending) == LUA_TTABLE) {
			lua_pushvalue(L, pending);
			lua_pushvalue(L, attach);
			lua_setfield(L, -2, as);
		} else if (attach) {
			lua_createtable(L, 0, 2);
			lua_pushvalue(L, pending);
			lua_setfield(L, -2, "event_error");
			lua_pushvalue(L, attach);
			lua_setfield(L, -2, as);
			luaL_setmetatable(L, EVENT_ERROR_MT);
		} else {
			lua_pushvalue(L, pending);
		}
		lua_error(L);
	}
	if (!prev && d->lost) {
		d->lost = 0;
		push_error(L, NULL, ROSTER_ENOMEM,
			   "events were not delivered: the Lua stack is full");
		lua_error(L);
	}
}

/* End a roster call begun with enter(), raising what it left. */
static void finish(lua_State *L, ldir *d, lua_State *prev, int rc)
{
	raise_left(L, d, prev, rc, leave(L, d, prev), 0, NULL);
}

static void release_store(lua_State *L, ldir *d, int idx)
{
	lstore *s;

	if (lua_getiuservalue(L, idx, UV_STORE) == LUA_TUSERDATA) {
		s = lua_touserdata(L, -1);
		s->users--;
		if (d->owns_store || (!s->users && s->orphan))
			store_free(s);
	}
	lua_pop(L, 1);
	lua_pushnil(L);
	lua_setiuservalue(L, idx, UV_STORE);
	d->owns_store = 0;
}

static void dir_release(lua_State *L, ldir *d, int idx)
{
	if (d->dir) {
		roster_directory_free(d->dir);
		d->dir = NULL;
	}
	lua_pushnil(L);
	lua_setiuservalue(L, idx, UV_CALLBACK);
	release_store(L, d, idx);
}

/* dir:close(): also the __close metamethod. Twice is harmless. */
static int dir_close(lua_State *L)
{
	ldir *d = check_dir(L);

	if (d->L)
		return raise_misuse(L, "a directory cannot be closed from its "
				       "own event callback");
	dir_release(L, d, 1);
	return 0;
}

static int dir_gc(lua_State *L)
{
	dir_release(L, check_dir(L), 1);
	return 0;
}

static int dir_closed(lua_State *L)
{
	lua_pushboolean(L, check_dir(L)->dir == NULL);
	return 1;
}

static int dir_tostring(lua_State *L)
{
	ldir *d = check_dir(L);

	lua_pushfstring(L, "roster.directory (%s)", d->dir ? "open" : "closed");
	return 1;
}

/* The callback at `idx` (a function or nil) for the directory userdata
 * at `ud`. */
static void set_callback(lua_State *L, int ud, int idx)
{
	if (!lua_isnoneornil(L, idx))
		luaL_checktype(L, idx, LUA_TFUNCTION);
	if (lua_isnone(L, idx))
		lua_pushnil(L);
	else
		lua_pushvalue(L, idx);
	lua_setiuservalue(L, ud, UV_CALLBACK);
}

/* dir:on_event(fn or nil): replace the event callback. */
static int dir_on_event(lua_State *L)
{
	check_open(L);
	set_callback(L, 1, 2);
	return 0;
}

/* The roster_language of `tag`; a bad one refused in `in` (a
 * directory's, when a directory is asked, else English). */
static roster_language check_language(lua_State *L, const char *tag,
				      roster_language in)
{
	roster_language lang = ROSTER_LANG_EN;

	check_tl_in(L, roster_language_parse(&lang, tag), in);
	return lang;
}

/*
 * roster.open([options]): options is a table of
 *   language  "en", "fr", "cs" (default "en")
 *   path      a file store of the directory's own, closed with it
 *   nosync    with path: skip fsync (tests)
 *   store     a store from roster.filestore or roster.memstore, shared
 *   on_event  function(event), see deliver()
 *   outbox    false to open with ROSTER_DIRECTORY_NO_OUTBOX
 */
static int l_open(lua_State *L)
{
	roster_directory_options opts;
	ldir *d;
	lstore *s = NULL;
	const char *path = NULL;
	int rc, sidx = 0, nosync = 0;

	if (!lua_isnoneornil(L, 1))
		luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	d = lua_newuserdatauv(L, sizeof(*d), 3); /* index 2 */
	memset(d, 0, sizeof(*d));
	luaL_setmetatable(L, DIR_MT);

	check_tl(L, roster_directory_options_init(
			    &opts, ROSTER_DIRECTORY_OPTIONS_VERSION));
	if (lua_istable(L, 1)) {
		if (lua_getfield(L, 1, "language") != LUA_TNIL) {
			if (lua_type(L, -1) != LUA_TSTRING)
				return luaL_error(L, "roster.open: language "
						     "must be a string");
			opts.language = check_language(L, check_text(L, -1),
						       ROSTER_LANG_EN);
		}
		d->lang = opts.language;
		if (lua_getfield(L, 1, "outbox") != LUA_TNIL &&
		    !lua_toboolean(L, -1))
			opts.flags |= ROSTER_DIRECTORY_NO_OUTBOX;
		if (lua_getfield(L, 1, "on_event") != LUA_TNIL) {
			if (!lua_isfunction(L, -1))
				return luaL_error(L, "roster.open: on_event "
						     "must be a function");
			set_callback(L, 2, lua_gettop(L));
		}
		if (lua_getfield(L, 1, "nosync") != LUA_TNIL)
			nosync = lua_toboolean(L, -1);
		if (lua_getfield(L, 1, "path") != LUA_TNIL) {
			if (lua_type(L, -1) != LUA_TSTRING)
				return luaL_error(L, "roster.open: path must "
						     "be a string");
			path = check_text(L, -1);
		} else if (nosync) {
			return luaL_error(L, "roster.open: nosync applies to "
					     "path only");
		}
		if (lua_getfield(L, 1, "store") != LUA_TNIL) {
			if (path)
				return luaL_error(L, "roster.open: give path "
						     "or store, not both");
			s = luaL_testudata(L, -1, STORE_MT);
			if (!s)
				return luaL_error(L, "roster.open: store must "
						     "be a roster store");
			if (!s->h)
				return raise_misuse(L, "the store is closed");
			sidx = lua_gettop(L);
		}
		if (path) {
			s = open_filestore(L, path, nosync);
			sidx = lua_gettop(L);
			d->owns_store = 1;
		}
	}
	if (s) {
		/* the directory's userdata keeps its store alive */
		lua_pushvalue(L, sidx);
		lua_setiuservalue(L, 2, UV_STORE);
		s->users++;
		opts.storage = store_methods(s);
		opts.store = s->h;
	}
	opts.event_cb = on_event;
	opts.event_data = d;
	rc = roster_directory_open(&d->dir, &opts);
	if (rc != ROSTER_OK) {
		/* read the error before releasing the store */
		const roster_error *err = roster_error_last();

		push_error(L, err, 0, NULL);
		dir_release(L, d, 2);
		return lua_error(L);
	}
	lua_settop(L, 2);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */

static roster_id check_id(lua_State *L, int idx)
{
	return (roster_id)(lua_Unsigned)luaL_checkinteger(L, idx);
}

static void push_id(lua_State *L, roster_id id)
{
	lua_pushinteger(L, (lua_Integer)id);
}

/* An actor: roster.SYSTEM, roster.partner(id), roster.user(id). */
static void check_actor(lua_State *L, int idx, roster_actor *a)
{
	static const char *const kinds[] = { "system", "partner", "user" };
	static const int values[] = { ROSTER_ACTOR_SYSTEM, ROSTER_ACTOR_PARTNER,
				      ROSTER_ACTOR_USER };
	roster_id id = 0;
	const char *kind;
	size_t len;
	int i, k = -1;

	luaL_argexpected(L, lua_istable(L, idx), idx, "actor");
	/* the whole string: "system\0..." is no actor */
	if (lua_getfield(L, idx, "kind") == LUA_TSTRING) {
		kind = lua_tolstring(L, -1, &len);
		for (i = 0; i < 3; i++)
			if (strlen(kinds[i]) == len && !strcmp(kind, kinds[i]))
				k = i;
	}
	if (lua_getfield(L, idx, "id") != LUA_TNIL) {
		if (!lua_isinteger(L, -1))
			k = -1;
		id = (roster_id)(lua_Unsigned)lua_tointeger(L, -1);
	}
	lua_pop(L, 2);
	if (k < 0 || roster_actor_init(a, values[k], id) != ROSTER_OK)
		luaL_argerror(L, idx, "not an actor (roster.SYSTEM, "
				      "roster.partner(id), roster.user(id))");
}

static int make_actor(lua_State *L, const char *kind)
{
	lua_Integer id = luaL_checkinteger(L, 1);

	lua_createtable(L, 0, 2);
	lua_pushstring(L, kind);
	lua_setfield(L, -2, "kind");
	lua_pushinteger(L, id);
	lua_setfield(L, -2, "id");
	return 1;
}

static int l_partner(lua_State *L)
{
	return make_actor(L, "partner");
}

static int l_user(lua_State *L)
{
	return make_actor(L, "user");
}

/* ------------------------------------------------------------------ */
/* Records                                                             */

/* Return the id made by a call that succeeded (finish raised otherwise). */
static int done_id(lua_State *L, roster_id id)
{
	push_id(L, id);
	return 1;
}

/* dir:partner_create(actor, name) */
static int dir_partner_create(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	const char *name = check_text(L, 3);
	roster_id id = 0;
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	prev = enter(L, d);
	rc = roster_partner_create(&id, d->dir, &a, name);
	finish(L, d, prev, rc);
	return done_id(L, id);
}

typedef int (*child_create_fn)(roster_id *, roster_directory *,
			       const roster_actor *, roster_id, const char *);

/* dir:xxx_create(actor, parent, name) */
static int child_create(lua_State *L, child_create_fn fn)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id parent = check_id(L, 3), id = 0;
	const char *name = check_text(L, 4);
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	prev = enter(L, d);
	rc = fn(&id, d->dir, &a, parent, name);
	finish(L, d, prev, rc);
	return done_id(L, id);
}

static int dir_account_create(lua_State *L)
{
	return child_create(L, roster_account_create);
}

static int dir_site_create(lua_State *L)
{
	return child_create(L, roster_site_create);
}

static int dir_group_create(lua_State *L)
{
	return child_create(L, roster_group_create);
}

/* dir:pbx_create(actor, account, name, min_digits, max_digits) */
static int dir_pbx_create(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3), id = 0;
	const char *name = check_text(L, 4);
	lua_Integer lo = luaL_checkinteger(L, 5), hi = luaL_checkinteger(L, 6);
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	luaL_argcheck(L, lo >= 0 && lo <= 1000, 5, "out of range");
	luaL_argcheck(L, hi >= 0 && hi <= 1000, 6, "out of range");
	prev = enter(L, d);
	rc = roster_pbx_create(&id, d->dir, &a, account, name,
			       (unsigned int)lo, (unsigned int)hi);
	finish(L, d, prev, rc);
	return done_id(L, id);
}

/* ------------------------------------------------------------------ */
/* Users                                                               */

/* Set one field of `form` from the key at -2 and the value at -1. */
static void form_set(lua_State *L, roster_form *form, roster_language lang)
{
	const char *name, *s;
	int field, rc;

	if (lua_type(L, -2) != LUA_TSTRING)
		luaL_error(L, "roster: field names are strings");
	name = lua_tostring(L, -2);
	if (!strcmp(name, "numbers_country")) {
		/* not a field: the country of the national numbers */
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "roster: 'numbers_country' takes a "
				      "two-letter code");
		s = lua_tostring(L, -1);
		if (strlen(s) != lua_rawlen(L, -1))
			luaL_error(L, "roster: 'numbers_country' holds a NUL "
				      "byte");
		check_tl_in(L, roster_form_set_numbers_country(form, s), lang);
		return;
	}
	if (!strcmp(name, "expect_version")) {
		/* not a field: the version the form was made from, as
		 * user_get gave it (a 64-bit integer, its bits kept) */
		if (!lua_isinteger(L, -1))
			luaL_error(L, "roster: 'expect_version' takes the "
				      "integer user_get gave as version");
		check_tl_in(L,
			    roster_form_expect_version(
				    form, (uint64_t)lua_tointeger(L, -1)),
			    lang);
		return;
	}
	if (!strcmp(name, "confirm_downgrade") ||
	    !strcmp(name, "generate_password")) {
		if (!lua_isboolean(L, -1))
			luaL_error(L, "roster: '%s' takes a boolean", name);
		rc = ROSTER_OK;
		if (lua_toboolean(L, -1) && name[0] == 'c')
			rc = roster_form_confirm(form, ROSTER_CONFIRM_DOWNGRADE);
		else if (lua_toboolean(L, -1))
			rc = roster_form_generate_password(form);
		check_tl_in(L, rc, lang);
		return;
	}
	if (!(field = roster_field_from_name(name)))
		luaL_error(L, "roster: unknown field '%s'", name);
	switch (roster_field_type(field)) {
	case ROSTER_TYPE_STRING:
		if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
			rc = roster_form_set_str(form, field, NULL);
			break;
		}
		if (!lua_isstring(L, -1))
			luaL_error(L, "roster: field '%s' takes a string", name);
		lua_pushvalue(L, -1); /* a number is converted on a copy */
		s = lua_tostring(L, -1);
		if (strlen(s) != lua_rawlen(L, -1))
			luaL_error(L, "roster: field '%s' holds a NUL byte", name);
		rc = roster_form_set_str(form, field, s);
		lua_pop(L, 1);
		break;
	case ROSTER_TYPE_BOOL:
		if (!lua_isboolean(L, -1))
			luaL_error(L, "roster: field '%s' takes a boolean", name);
		rc = roster_form_set_bool(form, field, lua_toboolean(L, -1));
		break;
	case ROSTER_TYPE_REF:
		if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
			rc = roster_form_set_ref(form, field, 0);
			break;
		}
		if (!lua_isinteger(L, -1))
			luaL_error(L, "roster: field '%s' takes an id", name);
		rc = roster_form_set_ref(
			form, field,
			(roster_id)(lua_Unsigned)lua_tointeger(L, -1));
		break;
	case ROSTER_TYPE_LIST: {
		lua_Integer i, n;
		const char **v;

		if (!lua_istable(L, -1))
			luaL_error(L, "roster: field '%s' takes a list", name);
		n = luaL_len(L, -1);
		if (n < 0 || n > 1024)
			luaL_error(L, "roster: field '%s': too many values",
				   name);
		/* scratch array, collected with the call's stack */
		v = lua_newuserdatauv(L, sizeof(*v) * (size_t)(n ? n : 1), 0);
		for (i = 1; i <= n; i++) {
			/* the strings stay referenced by the list */
			if (lua_rawgeti(L, -2, i) != LUA_TSTRING)
				luaL_error(L, "roster: field '%s' takes a list "
					      "of strings", name);
			v[i - 1] = check_text(L, -1);
			lua_pop(L, 1);
		}
		rc = roster_form_set_lines(form, v, (size_t)n);
		lua_pop(L, 1);
		break;
	}
	default:
		luaL_error(L, "roster: field '%s' cannot be set", name);
		return;
	}
	check_tl_in(L, rc, lang);
}

/* Push a box holding a form made from the table at `idx`. */
static roster_form *make_form(lua_State *L, ldir *d, int idx)
{
	box *b;
	roster_form *form = NULL;
	int rc;

	luaL_checktype(L, idx, LUA_TTABLE);
	b = new_box(L, free_form);
	rc = roster_form_new(&form, d->dir);
	if (rc != ROSTER_OK)
		raise_error(L, roster_directory_error(d->dir));
	b->p = form;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		form_set(L, form, d->lang);
		lua_pop(L, 1);
	}
	return form;
}

/* Free the form of make_form's box at the top, now. */
static void drop_box(lua_State *L)
{
	box *b = luaL_checkudata(L, -1, BOX_MT);

	if (b->p) {
		b->free_fn(b->p);
		b->p = NULL;
	}
	lua_pop(L, 1);
}

/* dir:user_create(actor, account, fields) */
static int dir_user_create(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3), id = 0;
	roster_form *form;
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	form = make_form(L, d, 4);
	prev = enter(L, d);
	rc = roster_user_create(&id, d->dir, &a, account, form);
	drop_box(L);
	finish(L, d, prev, rc);
	return done_id(L, id);
}

/* dir:user_update(actor, user, fields) */
static int dir_user_update(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id user = check_id(L, 3);
	roster_form *form;
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	form = make_form(L, d, 4);
	prev = enter(L, d);
	rc = roster_user_update(d->dir, &a, user, form);
	drop_box(L);
	finish(L, d, prev, rc);
	return 0;
}

/* dir:user_delete(actor, user) */
static int dir_user_delete(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id user = check_id(L, 3);
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	prev = enter(L, d);
	rc = roster_user_delete(d->dir, &a, user);
	finish(L, d, prev, rc);
	return 0;
}

/*
 * dir:user_get(user): a table of the fields by name (unset strings and
 * references absent, flags true or false, lines a list), with id,
 * account, has_password and version (an integer: give it back as the
 * form value expect_version, so that saving over a change someone else
 * made since is refused).
 */
static int dir_user_get(lua_State *L)
{
	ldir *d = check_open(L);
	roster_id id = check_id(L, 2);
	roster_user *u = NULL;
	const char *name;
	box *b;
	size_t i, n;
	int f, rc;

	b = new_box(L, free_user);
	rc = roster_user_get(&u, d->dir, id);
	if (rc != ROSTER_OK)
		return raise_error(L, roster_directory_error(d->dir));
	b->p = u;
	lua_createtable(L, 0, ROSTER_FIELD_END + 3);
	push_id(L, roster_user_id(u));
	lua_setfield(L, -2, "id");
	push_id(L, roster_user_account(u));
	lua_setfield(L, -2, "account");
	lua_pushboolean(L, roster_user_has_password(u));
	lua_setfield(L, -2, "has_password");
	lua_pushinteger(L, (lua_Integer)roster_user_version(u));
	lua_setfield(L, -2, "version");
	/* every field this library knows, also those newer than the headers */
	for (f = 1; (name = roster_field_name(f)); f++) {
		switch (roster_field_type(f)) {
		case ROSTER_TYPE_STRING:
			lua_pushstring(L, roster_user_str(u, f));
			break;
		case ROSTER_TYPE_BOOL:
			lua_pushboolean(L, roster_user_bool(u, f));
			break;
		case ROSTER_TYPE_REF:
			if (roster_user_ref(u, f))
				push_id(L, roster_user_ref(u, f));
			else
				lua_pushnil(L);
			break;
		case ROSTER_TYPE_LIST:
			n = roster_user_line_count(u);
			lua_createtable(L, (int)n, 0);
			for (i = 0; i < n; i++) {
				lua_pushstring(L, roster_user_line(u, i));
				lua_rawseti(L, -2, (lua_Integer)i + 1);
			}
			break;
		default:
			lua_pushnil(L);
		}
		lua_setfield(L, -2, name);
	}
	n = roster_user_product_count(u);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_pushstring(L, roster_user_product(u, i));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "products");
	b->free_fn(b->p);
	b->p = NULL;
	lua_remove(L, -2); /* the empty box */
	return 1;
}

/* dir:find_login(email): the user's id, or nil when nobody has it. */
static int dir_find_login(lua_State *L)
{
	ldir *d = check_open(L);
	const char *email = check_text(L, 2);
	roster_id id = 0;
	int rc = roster_user_find_login(&id, d->dir, email);

	if (rc == ROSTER_ENOTFOUND) {
		lua_pushnil(L);
		return 1;
	}
	if (rc != ROSTER_OK)
		return raise_error(L, roster_directory_error(d->dir));
	return done_id(L, id);
}

/* dir:may_edit(actor, target, field): whether actor may set the field;
 * when not, a second result: the reason, an error table (not raised:
 * rule, field, message in the directory's language, messages), for the
 * greyed-out field's tooltip. */
static int dir_may_edit(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id target = check_id(L, 3);
	const char *name = check_text(L, 4);
	int field = roster_field_from_name(name), out = 0;

	check_actor(L, 2, &a);
	if (!field)
		return luaL_argerror(L, 4, "unknown field");
	if (roster_user_field_access(&out, d->dir, &a, target, field))
		return raise_error(L, roster_directory_error(d->dir));
	lua_pushboolean(L, out);
	if (out)
		return 1;
	push_error(L, roster_directory_error(d->dir), 0, NULL);
	return 2;
}

/* ------------------------------------------------------------------ */
/* Passwords                                                           */

/* dir:login(email, password): the user's id; EAUTH error otherwise. */
static int dir_login(lua_State *L)
{
	ldir *d = check_open(L);
	const char *email = check_text(L, 2);
	const char *password = check_text(L, 3);
	roster_id id = 0;

	if (roster_login(&id, d->dir, email, password))
		return raise_error(L, roster_directory_error(d->dir));
	return done_id(L, id);
}

/* The list of user ids at `idx`, in scratch memory collected with the
 * call's stack; *n gets its length. */
static roster_id *check_ids(lua_State *L, int idx, size_t *n)
{
	roster_id *users;
	lua_Integer i, len;

	luaL_checktype(L, idx, LUA_TTABLE);
	len = luaL_len(L, idx);
	luaL_argcheck(L, len >= 0 && len <= 1000000, idx, "too many users");
	users = lua_newuserdatauv(L, sizeof(*users) * (size_t)(len ? len : 1),
				  0);
	for (i = 1; i <= len; i++) {
		lua_rawgeti(L, idx, i);
		if (!lua_isinteger(L, -1))
			luaL_argerror(L, idx, "a list of user ids");
		users[i - 1] = (roster_id)(lua_Unsigned)lua_tointeger(L, -1);
		lua_pop(L, 1);
	}
	*n = (size_t)len;
	return users;
}

typedef int (*bulk_fn)(roster_directory *, const roster_actor *, roster_id,
		       const roster_id *, size_t);

/* dir:password_reset / welcome_send(actor, account [, {user, ...}]) */
static int bulk(lua_State *L, bulk_fn fn)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3);
	roster_id *users = NULL;
	size_t n = 0;
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	if (!lua_isnoneornil(L, 4))
		users = check_ids(L, 4, &n);
	prev = enter(L, d);
	rc = fn(d->dir, &a, account, users, n);
	finish(L, d, prev, rc);
	return 0;
}

static int dir_password_reset(lua_State *L)
{
	return bulk(L, roster_password_reset);
}

static int dir_welcome_send(lua_State *L)
{
	return bulk(L, roster_welcome_send);
}

/* dir:token_redeem(token, password): the user's id. */
static int dir_token_redeem(lua_State *L)
{
	ldir *d = check_open(L);
	const char *token = check_text(L, 2);
	const char *password = check_text(L, 3);
	roster_id id = 0;
	lua_State *prev = enter(L, d);
	int rc = roster_token_redeem(&id, d->dir, token, password);

	finish(L, d, prev, rc);
	return done_id(L, id);
}

/* dir:set_language(tag) */
static int dir_set_language(lua_State *L)
{
	ldir *d = check_open(L);
	roster_language lang = check_language(L, check_text(L, 2), d->lang);

	if (roster_directory_set_language(d->dir, lang))
		return raise_error(L, roster_directory_error(d->dir));
	d->lang = lang;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Search                                                              */

static const char *const filter_names[] = { "admins",	 "registered",
					    "unregistered", "pbx_users",
					    "cloud",	 "iot",
					    NULL };

/* The place in `names` (NULL-terminated) of the string at `idx`, `def`'s
 * when it is nil; an error naming `what` for any other value, a name
 * followed by a NUL byte and more too (strcmp would see the name). */
static int check_name(lua_State *L, int idx, const char *def,
		      const char *const names[], const char *what)
{
	size_t len = 0;
	const char *s = lua_isnoneornil(L, idx) ? def
						: lua_tolstring(L, idx, &len);
	const char *type;
	luaL_Buffer choices;
	int i;

	if (s && s != def && strlen(s) != len)
		return luaL_error(L, "roster: %s: a string without NUL bytes "
				     "expected", what);
	for (i = 0; s && names[i]; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	/* say which names there are, and, for a value that is no name at
	 * all (a table given where the name goes), what it is (its type
	 * first: `idx` may be relative to the top, which the buffer moves) */
	type = luaL_typename(L, idx);
	luaL_buffinit(L, &choices);
	for (i = 0; names[i]; i++) {
		if (i)
			luaL_addstring(&choices, ", ");
		luaL_addstring(&choices, names[i]);
	}
	luaL_pushresult(&choices);
	if (!s)
		return luaL_error(L, "roster: %s: a name expected, got %s "
				     "(one of: %s)", what, type,
				  lua_tostring(L, -1));
	return luaL_error(L, "roster: %s: unknown value '%s' (one of: %s)",
			  what, s, lua_tostring(L, -1));
}

/* Set one catalog item filter of `q` from the query table at `idx`. */
static void query_item(lua_State *L, roster_query *q, int idx,
		       const char *key, int kind, roster_language lang)
{
	if (lua_getfield(L, idx, key) != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "roster: query field '%s' takes a string",
				   key);
		check_tl_in(L, roster_query_item(q, kind, check_text(L, -1)),
			    lang);
	}
	lua_pop(L, 1);
}

static void query_ref(lua_State *L, roster_query *q, int idx, const char *key,
		      int field, roster_language lang)
{
	if (lua_getfield(L, idx, key) != LUA_TNIL) {
		if (!lua_isinteger(L, -1))
			luaL_error(L, "roster: query field '%s' takes an id",
				   key);
		check_tl_in(L,
			    roster_query_ref(q, field,
					     (roster_id)(lua_Unsigned)
						     lua_tointeger(L, -1)),
			    lang);
	}
	lua_pop(L, 1);
}

/*
 * Push a box holding the query of the table at `idx` (nil: every user):
 *   text     what was typed
 *   filters  a list of "admins", "registered", "unregistered",
 *            "pbx_users", "cloud", "iot"
 *   licence, pack, product   a catalog item id
 *   group, site              an id
 */
static roster_query *make_query(lua_State *L, int idx, roster_language lang)
{
	box *b = new_box(L, free_query);
	roster_query *q = NULL;
	lua_Integer i, n;

	check_tl(L, roster_query_new(&q));
	b->p = q;
	if (lua_isnoneornil(L, idx))
		return q;
	luaL_checktype(L, idx, LUA_TTABLE);
	if (lua_getfield(L, idx, "text") != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "roster: query field 'text' takes a "
				      "string");
		check_tl_in(L, roster_query_set_text(q, check_text(L, -1)),
			    lang);
	}
	lua_pop(L, 1);
	if (lua_getfield(L, idx, "filters") != LUA_TNIL) {
		if (!lua_istable(L, -1))
			luaL_error(L, "roster: query field 'filters' takes a "
				      "list");
		n = luaL_len(L, -1);
		for (i = 1; i <= n; i++) {
			lua_rawgeti(L, -1, i);
			check_tl_in(L,
				    roster_query_filter(
					    q, check_name(L, -1, NULL,
							  filter_names,
							  "filter") +
						       1),
				    lang);
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	query_item(L, q, idx, "licence", ROSTER_ITEM_LICENCE, lang);
	query_item(L, q, idx, "pack", ROSTER_ITEM_PACK, lang);
	query_item(L, q, idx, "product", ROSTER_ITEM_PRODUCT, lang);
	query_ref(L, q, idx, "group", ROSTER_FIELD_GROUP, lang);
	query_ref(L, q, idx, "site", ROSTER_FIELD_SITE, lang);
	return q;
}

/* Push the ids of a page as a list, then its next cursor (or nil). */
static void push_page(lua_State *L, const roster_page *page)
{
	size_t i, n = roster_page_count(page);

	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		push_id(L, roster_page_id(page, i));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	if (roster_page_next(page))
		lua_pushstring(L, roster_page_next(page));
	else
		lua_pushnil(L);
}

/*
 * dir:search(actor, account [, query [, cursor [, limit]]]): a list of
 * the ids of one page of matches in the documented order, and the
 * cursor of the next page (nil on the last). account 0: every account
 * the actor may manage. limit defaults to 20.
 */
static int dir_search(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3);
	const char *cursor = opt_text(L, 5, NULL);
	lua_Integer limit = luaL_optinteger(L, 6, 20);
	roster_query *q;
	roster_page *page = NULL;
	box *b;
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	luaL_argcheck(L, limit >= 0 && limit <= ROSTER_PAGE_MAX, 6,
		      "out of range");
	lua_settop(L, 6); /* the boxes above the arguments */
	q = make_query(L, 4, d->lang);
	b = new_box(L, free_page);
	prev = enter(L, d);
	rc = roster_search(&page, d->dir, &a, account, q, cursor,
			   (size_t)limit);
	b->p = page;
	finish(L, d, prev, rc);
	push_page(L, page);
	return 2;
}

/* dir:search_count(actor, account [, query]): the number of matches. */
static int dir_search_count(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3);
	roster_query *q;
	size_t count = 0;
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	lua_settop(L, 4); /* the box above the arguments */
	q = make_query(L, 4, d->lang);
	prev = enter(L, d);
	rc = roster_search_count(&count, d->dir, &a, account, q);
	finish(L, d, prev, rc);
	lua_pushinteger(L, (lua_Integer)count);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Import and export                                                   */

static int check_format(lua_State *L, int idx)
{
	static const char *const names[] = { "csv", "xml", NULL };
	static const int formats[] = { ROSTER_FORMAT_CSV, ROSTER_FORMAT_XML };

	return formats[check_name(L, idx, "csv", names, "format")];
}

/* The input of an import held in a Lua string. */
typedef struct reader {
	const char *s;
	size_t len, at;
} reader;

/*
 * A Lua function an import reads from, or an export writes to, called
 * from inside the roster call under lua_pcall: an error it raises is left
 * on the stack (at `err`, 0: none) and ends the call, then is raised once
 * roster has returned, so that no Lua error unwinds through roster.
 */
typedef struct lua_io {
	lua_State *L;
	int fn;	 /* stack index of the function */
	int err; /* stack index of the error it raised, 0: none */
} lua_io;

/* Call the function at io->fn with one argument, pushed by the caller,
 * and `nret` results; 0, or -1 with the error kept. */
static int io_call(lua_io *io, int nret)
{
	lua_State *L = io->L;

	lua_pushvalue(L, io->fn);
	lua_insert(L, -2);
	if (lua_pcall(L, 1, nret, 0) != LUA_OK) {
		io->err = lua_gettop(L);
		return -1;
	}
	return 0;
}

/* Room for what io_call and write_lua push: else the read or write
 * fails, and so does the call, with roster's error for it. */
static int io_room(lua_io *io)
{
	return lua_checkstack(io->L, 5) ? 0 : -1;
}

/* Anything that allocates (a string made) runs inside lua_pcall: Lua's
 * memory error is then kept as the function's own errors are, never
 * raised through roster's frames. */

/* Push the text at the light userdata 1 (a message). */
static int push_text(lua_State *L)
{
	lua_pushstring(L, (const char *)lua_touserdata(L, 1));
	return 1;
}

/* Keep `msg` as the read's or write's error (or Lua's memory error, if
 * making it failed). */
static void io_fail(lua_io *io, const char *msg)
{
	lua_State *L = io->L;

	lua_pushcfunction(L, push_text);
	lua_pushlightuserdata(L, (void *)msg);
	(void)lua_pcall(L, 1, 1, 0);
	io->err = lua_gettop(L);
}

/* Call the function 1 with the bytes at the light userdata 2, of the
 * length 3, as one string. */
static int call_with_piece(lua_State *L)
{
	const char *buf = lua_touserdata(L, 2);
	size_t len = (size_t)lua_tointeger(L, 3);

	lua_settop(L, 1);
	lua_pushlstring(L, buf, len);
	lua_call(L, 1, 0);
	return 0;
}

static long read_lua(void *data, void *buf, size_t len)
{
	lua_io *io = data;
	lua_State *L = io->L;
	const char *s;
	size_t n;

	if (io->err || io_room(io))
		return -1;
	lua_pushinteger(L, (lua_Integer)len);
	if (io_call(io, 1))
		return -1;
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0; /* the end */
	}
	if (lua_type(L, -1) != LUA_TSTRING) {
		lua_pop(L, 1);
		io_fail(io, "roster: an import's read function returns a "
			    "string or nil");
		return -1;
	}
	s = lua_tolstring(L, -1, &n);
	if (n > len) {
		lua_pop(L, 1);
		io_fail(io, "roster: an import's read function returned more "
			    "bytes than asked");
		return -1;
	}
	memcpy(buf, s, n);
	lua_pop(L, 1);
	return (long)n;
}

static int write_lua(void *data, const void *buf, size_t len)
{
	lua_io *io = data;
	lua_State *L = io->L;

	if (io->err || io_room(io))
		return 1;
	lua_pushcfunction(L, call_with_piece);
	lua_pushvalue(L, io->fn);
	lua_pushlightuserdata(L, (void *)buf);
	lua_pushinteger(L, (lua_Integer)len);
	if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
		io->err = lua_gettop(L);
		return 1;
	}
	return 0;
}

static long read_string(void *data, void *buf, size_t len)
{
	reader *r = data;
	size_t n = r->len - r->at < len ? r->len - r->at : len;

	memcpy(buf, r->s + r->at, n);
	r->at += n;
	return (long)n;
}

/* Push the report as a table: rows, created, stopped, errors = { {line,
 * column, code, name, rule, value, message, messages}, ... }. */
static void push_report(lua_State *L, const roster_import_report *rep)
{
	size_t i, n = roster_import_error_count(rep);

	lua_createtable(L, 0, 4);
	lua_pushinteger(L, (lua_Integer)roster_import_rows(rep));
	lua_setfield(L, -2, "rows");
	lua_pushinteger(L, (lua_Integer)roster_import_created(rep));
	lua_setfield(L, -2, "created");
	lua_pushboolean(L, roster_import_stopped(rep));
	lua_setfield(L, -2, "stopped");
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		int code = roster_import_error_code(rep, i);

		lua_createtable(L, 0, 7);
		lua_pushinteger(L,
				(lua_Integer)roster_import_error_line(rep, i));
		lua_setfield(L, -2, "line");
		set_str(L, "column", roster_import_error_column(rep, i));
		lua_pushinteger(L, code);
		lua_setfield(L, -2, "code");
		set_str(L, "name", code_name(code));
		set_str(L, "rule", roster_import_error_rule(rep, i));
		set_str(L, "value", roster_import_error_value(rep, i));
		set_str(L, "message", roster_import_error_message(rep, i));
		set_messages(L, NULL, rep, i);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "errors");
}

/*
 * dir:import(actor, account, options): options is a table of
 *   data        the file's contents (a string), or
 *   path        the file to read, or
 *   read        function(max): the next piece of the file, a string of
 *               at most max bytes, or nil (or "") at its end
 *   format      "csv" (default) or "xml"
 *   mode        "all_or_nothing" (default) or "best_effort"
 *   dry_run     true: check every row, import nothing
 *   max_errors  stop after this many refused rows (0: never)
 *   country     "FR": the file's national numbers (phone, lines) are
 *               that country's ("01 44 55 66 77" is +33144556677); the rest
 *               is neither imported nor reported, and a best-effort
 *               import returns its report as usual (docs/bulk.md)
 * Returns the report table. A refused import raises its error with the
 * report as the error's field "report"; so does the error an event
 * callback raised during an import that went through (see raise_left:
 * a value that is not a table comes as its field "event_error"). An
 * error the read function raises ends the import, which imports
 * nothing, and is raised as it is.
 */
static int dir_import(lua_State *L)
{
	static const char *const modes[] = { "all_or_nothing", "best_effort",
					     NULL };
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3);
	roster_import_options opts;
	roster_import_report *rep = NULL;
	const char *path = NULL;
	reader r = { NULL, 0, 0 };
	lua_io io = { L, 7, 0 };
	lua_Integer max;
	box *b;
	lua_State *prev;
	int format, rc, pending;

	check_actor(L, 2, &a);
	luaL_checktype(L, 4, LUA_TTABLE);
	lua_settop(L, 4);
	check_tl(L, roster_import_options_init(&opts,
					       ROSTER_IMPORT_OPTIONS_VERSION));
	lua_getfield(L, 4, "data"); /* 5: kept referenced for the call */
	lua_getfield(L, 4, "path");
	lua_getfield(L, 4, "read"); /* 7: the function, kept there */
	if (!lua_isnil(L, 5) + !lua_isnil(L, 6) + !lua_isnil(L, 7) != 1)
		return luaL_argerror(L, 4,
				     "give data, path or read, one of them");
	if (!lua_isnil(L, 5))
		r.s = luaL_checklstring(L, 5, &r.len);
	else if (!lua_isnil(L, 6))
		path = check_text(L, 6);
	else
		luaL_argcheck(L, lua_isfunction(L, 7), 4,
			      "read takes a function");
	lua_getfield(L, 4, "format");
	format = check_format(L, -1);
	lua_getfield(L, 4, "mode");
	opts.mode = (unsigned int)check_name(L, -1, "all_or_nothing", modes,
					     "mode");
	lua_getfield(L, 4, "dry_run");
	opts.dry_run = lua_toboolean(L, -1);
	lua_getfield(L, 4, "max_errors");
	if (!lua_isnil(L, -1) && !lua_isinteger(L, -1))
		return luaL_error(L, "roster: max_errors takes an integer");
	max = lua_tointeger(L, -1);
	if (max < 0 || max > UINT32_MAX)
		return luaL_error(L, "roster: max_errors out of range");
	opts.max_errors = (unsigned int)max;
	lua_getfield(L, 4, "country");
	if (!lua_isnil(L, -1)) {
		size_t n;
		const char *c = lua_tolstring(L, -1, &n);

		if (!c || n != 2 || strlen(c) != 2)
			return luaL_error(L, "roster: country is a two-letter "
					     "code (\"FR\")");
		memcpy(opts.country, c, 3);
	}
	lua_settop(L, 7);
	b = new_box(L, free_report); /* 8 */
	prev = enter(L, d);
	if (path)
		rc = roster_import_file(&rep, d->dir, &a, account, format,
					path, &opts);
	else if (r.s)
		rc = roster_import(&rep, d->dir, &a, account, format,
				   read_string, &r, &opts);
	else
		rc = roster_import(&rep, d->dir, &a, account, format,
				   read_lua, &io, &opts);
	b->p = rep;
	/* the report is made after leaving: making it may raise */
	pending = leave(L, d, prev);
	if (io.err) {
		/* the read function's error: nothing was imported */
		lua_pushvalue(L, io.err);
		return lua_error(L);
	}
	if (rep)
		push_report(L, rep);
	else
		lua_pushnil(L);
	raise_left(L, d, prev, rc, pending, rep ? lua_gettop(L) : 0, "report");
	return 1;
}

/* The output of an export, gathered before it becomes a Lua string. */
typedef struct writer {
	char *s;
	size_t len, cap;
} writer;

static void free_writer(void *p)
{
	writer *w = p;

	free(w->s);
	free(w);
}

static int write_buffer(void *data, const void *buf, size_t len)
{
	writer *w = data;

	if (len > w->cap - w->len) {
		size_t cap = w->cap ? w->cap : 4096;
		char *s;

		while (cap - w->len < len) {
			if (cap > SIZE_MAX / 2)
				return 1;
			cap *= 2;
		}
		if (!(s = realloc(w->s, cap)))
			return 1;
		w->s = s;
		w->cap = cap;
	}
	memcpy(w->s + w->len, buf, len);
	w->len += len;
	return 0;
}

/* dir:export(actor, account [, format [, write]]): the users as a CSV or
 * XML string, or, given a function write(piece), handed to it a piece at
 * a time (the call then returns nothing). An error write raises ends the
 * export and is raised as it is. */
static int dir_export(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3);
	int format = check_format(L, 4);
	lua_io io = { L, 5, 0 };
	writer *w;
	box *b;
	lua_State *prev;
	int rc, pending;

	check_actor(L, 2, &a);
	if (!lua_isnoneornil(L, 5)) {
		luaL_checktype(L, 5, LUA_TFUNCTION);
		lua_settop(L, 5);
		prev = enter(L, d);
		rc = roster_export(d->dir, &a, account, format, write_lua, &io);
		pending = leave(L, d, prev);
		if (io.err) {
			lua_pushvalue(L, io.err);
			return lua_error(L);
		}
		raise_left(L, d, prev, rc, pending, 0, NULL);
		return 0;
	}
	/* not a userdata: the box may be collected after it */
	b = new_box(L, free_writer);
	if (!(w = calloc(1, sizeof(*w)))) {
		push_error(L, NULL, ROSTER_ENOMEM, "out of memory");
		return lua_error(L);
	}
	b->p = w;
	prev = enter(L, d);
	rc = roster_export(d->dir, &a, account, format, write_buffer, w);
	finish(L, d, prev, rc);
	lua_pushlstring(L, w->s ? w->s : "", w->len);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Product licences                                                    */

typedef int (*stock_fn)(roster_directory *, const roster_actor *, roster_id,
			const char *, unsigned int);

/* dir:product_purchase / product_release(actor, account, product, count),
 * dir:station_order / station_disconnect(actor, site, pack, count) */
static int stock(lua_State *L, stock_fn fn)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3);
	const char *product = check_text(L, 4);
	lua_Integer count = luaL_checkinteger(L, 5);
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	luaL_argcheck(L, count >= 0 && count <= UINT32_MAX, 5, "out of range");
	prev = enter(L, d);
	rc = fn(d->dir, &a, account, product, (unsigned int)count);
	finish(L, d, prev, rc);
	return 0;
}

static int dir_product_purchase(lua_State *L)
{
	return stock(L, roster_product_purchase);
}

static int dir_product_release(lua_State *L)
{
	return stock(L, roster_product_release);
}

typedef int (*assign_fn)(roster_directory *, const roster_actor *,
			 const char *, const roster_id *, size_t, size_t *);

/* dir:product_assign / product_unassign(actor, product, {user, ...}):
 * the number of users whose licence changed (the field "count" of the
 * event callback's error when it raised after the change committed). */
static int assign(lua_State *L, assign_fn fn)
{
	ldir *d = check_open(L);
	roster_actor a;
	const char *product = check_text(L, 3);
	roster_id *users;
	size_t n, done = 0;
	lua_State *prev;
	int rc, pending;

	check_actor(L, 2, &a);
	users = check_ids(L, 4, &n);
	prev = enter(L, d);
	rc = fn(d->dir, &a, product, users, n, &done);
	pending = leave(L, d, prev);
	lua_pushinteger(L, (lua_Integer)done);
	raise_left(L, d, prev, rc, pending, rc ? 0 : lua_gettop(L), "count");
	return 1;
}

static int dir_product_assign(lua_State *L)
{
	return assign(L, roster_product_assign);
}

static int dir_product_unassign(lua_State *L)
{
	return assign(L, roster_product_unassign);
}

typedef int (*counts_fn)(roster_directory *, const roster_actor *,
			 roster_id, const char *, size_t *, size_t *);

/* dir:product_counts(actor, account, product): purchased, assigned;
 * dir:station_counts(actor, site, pack): purchased, in service. */
static int counts(lua_State *L, counts_fn fn)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id record = check_id(L, 3);
	const char *item = check_text(L, 4);
	size_t bought = 0, used = 0;

	check_actor(L, 2, &a);
	if (fn(d->dir, &a, record, item, &bought, &used))
		return raise_error(L, roster_directory_error(d->dir));
	lua_pushinteger(L, (lua_Integer)bought);
	lua_pushinteger(L, (lua_Integer)used);
	return 2;
}

static int dir_product_counts(lua_State *L)
{
	return counts(L, roster_product_counts);
}

/* ------------------------------------------------------------------ */
/* Records and listings, account licences and services, stations       */

static const char *const kind_names[] = { "partner", "account", "site",
					  "pbx",     "group",   "user",
					  NULL };
static const char *const item_names[] = { "",	     "service", "tier",
					  "edition", "family",  "licence",
					  "client",  "pack",	"product",
					  "language", NULL };

static const char *item_name(int kind)
{
	if (kind == ROSTER_BILLING_OPTION)
		return "option";
	return kind > 0 && kind < (int)(sizeof(item_names) /
					sizeof(item_names[0])) - 1
		       ? item_names[kind]
		       : "";
}

/*
 * dir:record_get(id): a partner, account, site, PBX or group as a table:
 * id, kind ("partner", ...), parent, name, members; accounts also
 * admins, helpdesk, edition (nil for none) and licences (a list); PBXes
 * min_digits and max_digits.
 */
static int dir_record_get(lua_State *L)
{
	ldir *d = check_open(L);
	roster_id id = check_id(L, 2);
	roster_record *r = NULL;
	box *b = new_box(L, free_record);
	int kind;
	size_t i, n;

	if (roster_record_get(&r, d->dir, id))
		return raise_error(L, roster_directory_error(d->dir));
	b->p = r;
	kind = roster_record_kind(r);
	lua_createtable(L, 0, 10);
	push_id(L, roster_record_id(r));
	lua_setfield(L, -2, "id");
	lua_pushstring(L, kind >= ROSTER_KIND_PARTNER &&
				  kind <= ROSTER_KIND_USER
			      ? kind_names[kind - 1]
			      : "");
	lua_setfield(L, -2, "kind");
	push_id(L, roster_record_parent(r));
	lua_setfield(L, -2, "parent");
	lua_pushstring(L, roster_record_name(r));
	lua_setfield(L, -2, "name");
	lua_pushinteger(L, (lua_Integer)roster_record_members(r));
	lua_setfield(L, -2, "members");
	if (kind == ROSTER_KIND_ACCOUNT) {
		lua_pushinteger(L, (lua_Integer)roster_record_admins(r));
		lua_setfield(L, -2, "admins");
		lua_pushboolean(L, roster_record_helpdesk(r));
		lua_setfield(L, -2, "helpdesk");
		lua_pushstring(L, roster_record_edition(r));
		lua_setfield(L, -2, "edition");
		n = roster_record_licence_count(r);
		lua_createtable(L, (int)n, 0);
		for (i = 0; i < n; i++) {
			lua_pushstring(L, roster_record_licence(r, i));
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		lua_setfield(L, -2, "licences");
	} else if (kind == ROSTER_KIND_PBX) {
		lua_pushinteger(L, roster_record_min_digits(r));
		lua_setfield(L, -2, "min_digits");
		lua_pushinteger(L, roster_record_max_digits(r));
		lua_setfield(L, -2, "max_digits");
	}
	return 1;
}

/* dir:record_rename(actor, id, name) */
static int dir_record_rename(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id id = check_id(L, 3);
	const char *name = check_text(L, 4);
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	prev = enter(L, d);
	rc = roster_record_rename(d->dir, &a, id, name);
	finish(L, d, prev, rc);
	return 0;
}

/* dir:record_delete(actor, id): a partner, account, site, PBX or group */
static int dir_record_delete(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id id = check_id(L, 3);
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	prev = enter(L, d);
	rc = roster_record_delete(d->dir, &a, id);
	finish(L, d, prev, rc);
	return 0;
}

/*
 * dir:list_records(parent, kind [, cursor [, limit]]): one page of the
 * records of kind ("partner", "account", "site", "pbx", "group" or
 * "user") under parent (0 for partners), in id order: the list of ids,
 * the next cursor (nil on the last page) and the total. limit defaults
 * to 100.
 */
static int dir_list_records(lua_State *L)
{
	ldir *d = check_open(L);
	roster_id parent = check_id(L, 2);
	int kind = check_name(L, 3, NULL, kind_names, "kind") + 1;
	const char *cursor = opt_text(L, 4, NULL);
	lua_Integer limit = luaL_optinteger(L, 5, 100);
	roster_page *page = NULL;
	box *b;

	luaL_argcheck(L, limit >= 0 && limit <= ROSTER_PAGE_MAX, 5,
		      "out of range");
	lua_settop(L, 5);
	b = new_box(L, free_page);
	if (roster_list(&page, d->dir, parent, kind, cursor, (size_t)limit))
		return raise_error(L, roster_directory_error(d->dir));
	b->p = page;
	push_page(L, page);
	lua_pushinteger(L, (lua_Integer)roster_page_total(page));
	return 3;
}

/*
 * dir:record_find(parent, kind, name): the id of the record of `kind`
 * ("partner", "account", "site", "pbx", "group") under `parent` (0 for
 * partners) named `name`, case and spaces aside as names are kept unique.
 */
static int dir_record_find(lua_State *L)
{
	ldir *d = check_open(L);
	roster_id parent = check_id(L, 2);
	int kind = check_name(L, 3, NULL, kind_names, "kind") + 1;
	const char *name = check_text(L, 4);
	roster_id id = 0;

	if (roster_record_find(&id, d->dir, parent, kind, name))
		return raise_error(L, roster_directory_error(d->dir));
	push_id(L, id);
	return 1;
}

/* dir:account_set_helpdesk(actor, account, ordered) */
static int dir_account_set_helpdesk(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3);
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	luaL_checktype(L, 4, LUA_TBOOLEAN);
	prev = enter(L, d);
	rc = roster_account_set_helpdesk(d->dir, &a, account,
					 lua_toboolean(L, 4));
	finish(L, d, prev, rc);
	return 0;
}

/* The list of strings at `idx`, in scratch memory collected with the
 * call's stack (the strings stay referenced by the list); *n gets its
 * length. */
static const char **check_strings(lua_State *L, int idx, size_t *n)
{
	const char **v;
	lua_Integer i, len;

	luaL_checktype(L, idx, LUA_TTABLE);
	len = luaL_len(L, idx);
	luaL_argcheck(L, len >= 0 && len <= 100000, idx, "too many values");
	v = lua_newuserdatauv(L, sizeof(*v) * (size_t)(len ? len : 1), 0);
	for (i = 1; i <= len; i++) {
		if (lua_rawgeti(L, idx, i) != LUA_TSTRING)
			luaL_argerror(L, idx, "a list of strings");
		v[i - 1] = check_text(L, -1);
		lua_pop(L, 1);
	}
	*n = (size_t)len;
	return v;
}

/* dir:account_set_licences(actor, account, edition or nil, {id, ...}) */
static int dir_account_set_licences(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3);
	const char *edition = opt_text(L, 4, NULL);
	const char **licences;
	size_t n;
	lua_State *prev;
	int rc;

	check_actor(L, 2, &a);
	licences = check_strings(L, 5, &n);
	prev = enter(L, d);
	rc = roster_account_set_licences(d->dir, &a, account, edition,
					 licences, n);
	finish(L, d, prev, rc);
	return 0;
}

/* dir:station_order / station_disconnect(actor, site, pack, count) */
static int dir_station_order(lua_State *L)
{
	return stock(L, roster_station_order);
}

static int dir_station_disconnect(lua_State *L)
{
	return stock(L, roster_station_disconnect);
}

/* dir:station_counts(actor, site, pack): purchased, in service. */
static int dir_station_counts(lua_State *L)
{
	return counts(L, roster_station_counts);
}

/* The language at `idx`, the directory's when nil. */
static roster_language opt_language(lua_State *L, int idx, ldir *d)
{
	return lua_isnoneornil(L, idx)
		       ? d->lang
		       : check_language(L, check_text(L, idx), d->lang);
}

/*
 * dir:user_choices(actor, account, user [, language]): what user (0: a
 * new user of account) may be given, every licence then every station
 * pack of the catalog, as a list of tables: kind ("licence" or "pack"),
 * item, name, current, allowed, reasons (a list of tables: rule, param,
 * message); names and messages in the language (default the
 * directory's).
 */
static int dir_user_choices(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3), user = check_id(L, 4);
	roster_language lang = opt_language(L, 5, d);
	roster_choices *c = NULL;
	box *b;
	size_t i, n, r, nr;

	check_actor(L, 2, &a);
	lua_settop(L, 5);
	b = new_box(L, free_choices);
	if (roster_user_choices(&c, d->dir, &a, account, user))
		return raise_error(L, roster_directory_error(d->dir));
	b->p = c;
	n = roster_choices_count(c);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_createtable(L, 0, 6);
		set_str(L, "kind", item_name(roster_choices_kind(c, i)));
		set_str(L, "item", roster_choices_item(c, i));
		set_str(L, "name", roster_choices_name(c, i, lang));
		lua_pushboolean(L, roster_choices_current(c, i));
		lua_setfield(L, -2, "current");
		lua_pushboolean(L, roster_choices_allowed(c, i));
		lua_setfield(L, -2, "allowed");
		nr = roster_choices_reason_count(c, i);
		lua_createtable(L, (int)nr, 0);
		for (r = 0; r < nr; r++) {
			lua_createtable(L, 0, 3);
			set_str(L, "rule", roster_choices_reason(c, i, r));
			lua_pushstring(L, roster_choices_reason_param(c, i, r));
			lua_setfield(L, -2, "param");
			set_str(L, "message", roster_choices_reason_message(
						      c, i, r, lang));
			lua_rawseti(L, -2, (lua_Integer)r + 1);
		}
		lua_setfield(L, -2, "reasons");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/*
 * dir:billing_summary(actor, account): users (billable), excluded
 * (do-not-bill) and lines, a list of tables: kind ("licence", "pack",
 * "product" or "option"), item, quantity.
 */
static int dir_billing_summary(lua_State *L)
{
	ldir *d = check_open(L);
	roster_actor a;
	roster_id account = check_id(L, 3);
	roster_billing *bl = NULL;
	box *b;
	size_t i, n;

	check_actor(L, 2, &a);
	lua_settop(L, 3);
	b = new_box(L, free_billing);
	if (roster_billing_summary(&bl, d->dir, &a, account))
		return raise_error(L, roster_directory_error(d->dir));
	b->p = bl;
	lua_createtable(L, 0, 3);
	lua_pushinteger(L, (lua_Integer)roster_billing_users(bl));
	lua_setfield(L, -2, "users");
	lua_pushinteger(L, (lua_Integer)roster_billing_excluded(bl));
	lua_setfield(L, -2, "excluded");
	n = roster_billing_count(bl);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_createtable(L, 0, 3);
		set_str(L, "kind", item_name(roster_billing_kind(bl, i)));
		set_str(L, "item", roster_billing_item(bl, i));
		lua_pushinteger(L, (lua_Integer)roster_billing_quantity(bl, i));
		lua_setfield(L, -2, "quantity");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "lines");
	return 1;
}

/*
 * dir:preview(): what the open transaction would do: events (tables as
 * the event callback gets them, seq 0, secrets withheld), deltas (a list
 * of tables: kind "pack" at a site or "product" of an account, record,
 * item, purchased and in_use changes) and billing (a list of tables:
 * user, and what: a set of "licence", "pack", "products", "options",
 * "billable").
 */
static int dir_preview(lua_State *L)
{
	static const char *const bits[] = { "licence", "pack", "products",
					    "options", "billable" };
	ldir *d = check_open(L);
	roster_preview *pv = NULL;
	box *b;
	size_t i, n;
	unsigned int what, k;

	lua_settop(L, 1);
	b = new_box(L, free_preview);
	if (roster_transaction_preview(&pv, d->dir))
		return raise_error(L, roster_directory_error(d->dir));
	b->p = pv;
	lua_createtable(L, 0, 3);
	n = roster_preview_event_count(pv);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		push_event(L, roster_preview_event(pv, i));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "events");
	n = roster_preview_delta_count(pv);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		int kind = 0;
		roster_id record = 0;
		const char *item = NULL;
		long long bought = 0, used = 0;

		check_tl(L, roster_preview_delta(pv, i, &kind, &record, &item,
						 &bought, &used));
		lua_createtable(L, 0, 5);
		set_str(L, "kind", item_name(kind));
		push_id(L, record);
		lua_setfield(L, -2, "record");
		set_str(L, "item", item);
		lua_pushinteger(L, (lua_Integer)bought);
		lua_setfield(L, -2, "purchased");
		lua_pushinteger(L, (lua_Integer)used);
		lua_setfield(L, -2, "in_use");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "deltas");
	n = roster_preview_billing_count(pv);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_createtable(L, 0, 2);
		push_id(L, roster_preview_billing_user(pv, i));
		lua_setfield(L, -2, "user");
		what = roster_preview_billing_what(pv, i);
		lua_createtable(L, 0, 5);
		for (k = 0; k < sizeof(bits) / sizeof(bits[0]); k++) {
			if (what & (1u << k)) {
				lua_pushboolean(L, 1);
				lua_setfield(L, -2, bits[k]);
			}
		}
		lua_setfield(L, -2, "what");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "billing");
	return 1;
}

/*
 * dir:set_catalog{ path = file } or dir:set_catalog{ xml = string }:
 * decide with that catalog from now on. Returns the list of the users
 * whose licence, pack or product licences it no longer allows (reported,
 * never changed).
 */
static int dir_set_catalog(lua_State *L)
{
	ldir *d = check_open(L);
	roster_catalog *cat = NULL;
	roster_page *page = NULL;
	box *cb, *pb;
	const char *xml = NULL, *path = NULL;
	size_t len = 0, i, n;

	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	lua_getfield(L, 2, "xml"); /* 3: kept referenced for the call */
	lua_getfield(L, 2, "path");
	if (lua_isnil(L, 3) == lua_isnil(L, 4))
		return luaL_argerror(L, 2, "give xml or path, one of them");
	if (!lua_isnil(L, 3))
		xml = luaL_checklstring(L, 3, &len);
	else
		path = check_text(L, 4);
	cb = new_box(L, free_catalog);
	check_tl_in(L,
		    path ? roster_catalog_load_file(&cat, path)
			 : roster_catalog_load_buffer(&cat, xml, len, NULL),
		    d->lang);
	cb->p = cat;
	pb = new_box(L, free_page);
	if (roster_directory_set_catalog(d->dir, cat, &page))
		return raise_error(L, roster_directory_error(d->dir));
	pb->p = page;
	n = roster_page_count(page);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		push_id(L, roster_page_id(page, i));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/*
 * dir:catalog_items(kind [, edition [, language]]): the items of kind
 * ("service", "tier", "edition", "family", "licence", "client", "pack",
 * "product", "language") of the directory's catalog, in catalog order: a
 * list of tables { id = ..., name = ... }, names as the edition (or
 * none) names them in the language (default the directory's).
 */
static int dir_catalog_items(lua_State *L)
{
	ldir *d = check_open(L);
	int kind = check_name(L, 2, NULL, item_names + 1, "kind") + 1;
	const char *edition = opt_text(L, 3, NULL);
	roster_language lang = opt_language(L, 4, d);
	roster_catalog *cat;
	const char *id;
	box *b;
	size_t i, n;

	lua_settop(L, 4);
	b = new_box(L, free_catalog);
	if (!(cat = roster_directory_catalog(d->dir)))
		return raise_error(L, roster_directory_error(d->dir));
	b->p = cat;
	n = roster_catalog_count(cat, kind);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		id = roster_catalog_item(cat, kind, i);
		lua_createtable(L, 0, 2);
		set_str(L, "id", id);
		lua_pushstring(L, roster_catalog_name(cat, kind, id, lang,
						      edition));
		lua_setfield(L, -2, "name");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* dir:password_check(password): raises the refusal (EINVALID, rule
 * password.length, password.classes, ...) of a password the directory's
 * policy refuses. */
static int dir_password_check(lua_State *L)
{
	ldir *d = check_open(L);
	const char *password = check_text(L, 2);

	if (roster_password_check(d->dir, password))
		return raise_error(L, roster_directory_error(d->dir));
	return 0;
}

/* The members of a password policy, in the order of the struct. */
static const char *const policy_members[] = {
	"min_length",	    "max_length", "required_classes",
	"generated_length", "hash_cost",  "reset_ttl",
	"welcome_ttl",	    NULL
};
/* The character classes, bit i named by class_names[i]. */
static const char *const class_names[] = { "lower", "upper", "digit",
					   "symbol", NULL };

static void get_policy(lua_State *L, ldir *d, roster_password_policy *p)
{
	check_tl(L, roster_password_policy_init(
			    p, ROSTER_PASSWORD_POLICY_VERSION));
	if (roster_directory_get_password_policy(d->dir, p))
		raise_error(L, roster_directory_error(d->dir));
}

/* dir:password_policy(): the directory's password policy (the default,
 * its catalog's, or the last set), as a password form shows its rules: a
 * table of min_length, max_length, required_classes (a list of "lower",
 * "upper", "digit", "symbol"), generated_length, hash_cost, reset_ttl
 * and welcome_ttl (seconds). */
static int dir_password_policy(lua_State *L)
{
	ldir *d = check_open(L);
	roster_password_policy p;
	lua_Integer v[7];
	int i, k = 0;

	get_policy(L, d, &p);
	v[0] = p.min_length;
	v[1] = p.max_length;
	v[3] = p.generated_length;
	v[4] = p.hash_cost;
	v[5] = p.reset_ttl;
	v[6] = p.welcome_ttl;
	lua_createtable(L, 0, 7);
	for (i = 0; policy_members[i]; i++) {
		if (i == 2)
			continue;
		lua_pushinteger(L, v[i]);
		lua_setfield(L, -2, policy_members[i]);
	}
	lua_newtable(L);
	for (i = 0; class_names[i]; i++)
		if (p.required_classes & (1u << i)) {
			lua_pushstring(L, class_names[i]);
			lua_rawseti(L, -2, ++k);
		}
	lua_setfield(L, -2, "required_classes");
	return 1;
}

/* The integer at the top of the stack, in [lo, hi], for member `name`. */
static lua_Integer policy_int(lua_State *L, const char *name, lua_Integer lo,
			      lua_Integer hi)
{
	lua_Integer v;

	if (!lua_isinteger(L, -1))
		luaL_error(L, "roster: %s takes an integer, not %s", name,
			   luaL_typename(L, -1));
	v = lua_tointeger(L, -1);
	if (v < lo || v > hi)
		luaL_error(L, "roster: %s out of range", name);
	return v;
}

/* dir:set_password_policy{ member = value, ... }: change those members
 * of the password policy (the names dir:password_policy() gives;
 * required_classes a list of class names), the others kept; checked as
 * a whole (EINVAL, rule policy.range, naming the member). Refused while
 * a transaction is open. It is the handle's, not the store's: set it at
 * each open, after a catalog, which replaces it. */
static int dir_set_password_policy(lua_State *L)
{
	ldir *d = check_open(L);
	roster_password_policy p;
	lua_Integer v;
	int m;

	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	get_policy(L, d, &p);
	lua_pushnil(L);
	while (lua_next(L, 2)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			return luaL_error(L, "roster: policy member: a name "
					     "expected, got %s",
					  luaL_typename(L, -2));
		lua_pushvalue(L, -2); /* a copy: the key stays for lua_next */
		m = check_name(L, -1, NULL, policy_members, "policy member");
		lua_pop(L, 1);
		if (m == 2) {
			unsigned bits = 0;
			lua_Integer i, n;

			luaL_argcheck(L, lua_istable(L, -1), 2,
				      "required_classes takes a list of "
				      "class names");
			n = (lua_Integer)lua_rawlen(L, -1);
			for (i = 1; i <= n; i++) {
				lua_rawgeti(L, -1, i);
				bits |= 1u << check_name(L, -1, NULL,
							 class_names,
							 "character class");
				lua_pop(L, 1);
			}
			p.required_classes = bits;
		} else if (m >= 5) {
			v = policy_int(L, policy_members[m], INT64_MIN,
				       INT64_MAX);
			*(m == 5 ? &p.reset_ttl : &p.welcome_ttl) = v;
		} else {
			v = policy_int(L, policy_members[m], 0, UINT_MAX);
			*(m == 0   ? &p.min_length
			  : m == 1 ? &p.max_length
			  : m == 3 ? &p.generated_length
				   : &p.hash_cost) = (unsigned int)v;
		}
		lua_pop(L, 1);
	}
	if (roster_directory_set_password_policy(d->dir, &p))
		return raise_error(L, roster_directory_error(d->dir));
	return 0;
}

/* dir:password_generate(): a password generated to the policy, as
 * generate_password = true gives one to a form. */
static int dir_password_generate(lua_State *L)
{
	ldir *d = check_open(L);
	char buf[ROSTER_PASSWORD_LENGTH_MAX * 4 + 1];
	int rc = roster_password_generate(d->dir, buf, sizeof(buf));

	if (rc == ROSTER_OK)
		lua_pushstring(L, buf);
	explicit_bzero(buf, sizeof(buf)); /* kept by the compiler */
	if (rc)
		return raise_error(L, roster_directory_error(d->dir));
	return 1;
}

/* ------------------------------------------------------------------ */
/* Transactions, refresh, outbox                                       */

static int simple_call(lua_State *L, int (*fn)(roster_directory *))
{
	ldir *d = check_open(L);
	lua_State *prev = enter(L, d);
	int rc = fn(d->dir);

	finish(L, d, prev, rc);
	return 0;
}

static int dir_begin(lua_State *L)
{
	return simple_call(L, roster_transaction_begin);
}

static int dir_commit(lua_State *L)
{
	return simple_call(L, roster_transaction_commit);
}

static int dir_rollback(lua_State *L)
{
	return simple_call(L, roster_transaction_rollback);
}

static int dir_refresh(lua_State *L)
{
	return simple_call(L, roster_directory_refresh);
}

static int dir_in_transaction(lua_State *L)
{
	ldir *d = check_dir(L);

	lua_pushboolean(L, d->dir && roster_transaction_active(d->dir));
	return 1;
}

/*
 * dir:transaction(fn, ...): call fn(dir, ...) inside a transaction;
 * commit when it returns (and return its results), roll back and raise
 * its error again when it fails.
 */
static int dir_transaction(lua_State *L)
{
	ldir *d = check_open(L);
	int i, top = lua_gettop(L);

	luaL_checktype(L, 2, LUA_TFUNCTION);
	simple_call(L, roster_transaction_begin);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 1);
	for (i = 3; i <= top; i++)
		lua_pushvalue(L, i);
	if (lua_pcall(L, top - 1, LUA_MULTRET, 0) != LUA_OK) {
		/* fn may have closed the directory or ended the transaction */
		if (d->dir && roster_transaction_active(d->dir))
			roster_transaction_rollback(d->dir);
		return lua_error(L);
	}
	if (!d->dir)
		return raise_misuse(L, "the directory was closed inside its "
				       "transaction");
	{
		lua_State *prev = enter(L, d);
		int rc = roster_transaction_commit(d->dir);

		finish(L, d, prev, rc);
	}
	return lua_gettop(L) - top;
}

/* dir:outbox_replay([max]): the number of events delivered again. */
static int dir_outbox_replay(lua_State *L)
{
	ldir *d = check_open(L);
	lua_Integer max = luaL_optinteger(L, 2, 0);
	size_t count = 0;
	lua_State *prev;
	int rc;

	luaL_argcheck(L, max >= 0, 2, "must not be negative");
	prev = enter(L, d);
	rc = roster_outbox_replay(d->dir, (size_t)max, &count);
	finish(L, d, prev, rc);
	lua_pushinteger(L, (lua_Integer)count);
	return 1;
}

/* dir:outbox_ack(first [, last]): the number of events removed. */
static int dir_outbox_ack(lua_State *L)
{
	ldir *d = check_open(L);
	uint64_t first = (uint64_t)(lua_Unsigned)luaL_checkinteger(L, 2);
	uint64_t last = (uint64_t)(lua_Unsigned)luaL_optinteger(
		L, 3, (lua_Integer)first);
	size_t acked = 0;
	lua_State *prev = enter(L, d);
	int rc = roster_outbox_ack(d->dir, first, last, &acked);

	finish(L, d, prev, rc);
	lua_pushinteger(L, (lua_Integer)acked);
	return 1;
}

/* ------------------------------------------------------------------ */
/* The module                                                          */

static int l_version(lua_State *L)
{
	lua_pushstring(L, roster_version_string());
	return 1;
}

/* roster.field_label(field [, language]): a user field's display label. */
static int l_field_label(lua_State *L)
{
	int field = roster_field_from_name(check_text(L, 1));
	roster_language lang = ROSTER_LANG_EN;

	if (!field)
		return luaL_argerror(L, 1, "unknown field");
	if (!lua_isnoneornil(L, 2))
		lang = check_language(L, check_text(L, 2), ROSTER_LANG_EN);
	lua_pushstring(L, roster_field_label(field, lang));
	return 1;
}

/* roster.phone_languages(): the phone languages users may choose. */
static int l_phone_languages(lua_State *L)
{
	const char *tag;
	size_t i;

	lua_newtable(L);
	for (i = 0; (tag = roster_phone_language(i)); i++) {
		lua_pushstring(L, tag);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

static const luaL_Reg dir_methods[] = {
	{ "close", dir_close },
	{ "closed", dir_closed },
	{ "on_event", dir_on_event },
	{ "set_language", dir_set_language },
	{ "partner_create", dir_partner_create },
	{ "account_create", dir_account_create },
	{ "site_create", dir_site_create },
	{ "group_create", dir_group_create },
	{ "pbx_create", dir_pbx_create },
	{ "user_create", dir_user_create },
	{ "user_update", dir_user_update },
	{ "user_delete", dir_user_delete },
	{ "user_get", dir_user_get },
	{ "find_login", dir_find_login },
	{ "may_edit", dir_may_edit },
	{ "login", dir_login },
	{ "password_reset", dir_password_reset },
	{ "welcome_send", dir_welcome_send },
	{ "token_redeem", dir_token_redeem },
	{ "search", dir_search },
	{ "search_count", dir_search_count },
	{ "import", dir_import },
	{ "export", dir_export },
	{ "product_purchase", dir_product_purchase },
	{ "product_release", dir_product_release },
	{ "product_assign", dir_product_assign },
	{ "product_unassign", dir_product_unassign },
	{ "product_counts", dir_product_counts },
	{ "record_get", dir_record_get },
	{ "record_rename", dir_record_rename },
	{ "record_delete", dir_record_delete },
	{ "list_records", dir_list_records },
	{ "record_find", dir_record_find },
	{ "account_set_helpdesk", dir_account_set_helpdesk },
	{ "account_set_licences", dir_account_set_licences },
	{ "station_order", dir_station_order },
	{ "station_disconnect", dir_station_disconnect },
	{ "station_counts", dir_station_counts },
	{ "user_choices", dir_user_choices },
	{ "billing_summary", dir_billing_summary },
	{ "preview", dir_preview },
	{ "password_check", dir_password_check },
	{ "password_policy", dir_password_policy },
	{ "set_password_policy", dir_set_password_policy },
	{ "password_generate", dir_password_generate },
	{ "set_catalog", dir_set_catalog },
	{ "catalog_items", dir_catalog_items },
	{ "begin", dir_begin },
	{ "commit", dir_commit },
	{ "rollback", dir_rollback },
	{ "in_transaction", dir_in_transaction },
	{ "transaction", dir_transaction },
	{ "refresh", dir_refresh },
	{ "outbox_replay", dir_outbox_replay },
	{ "outbox_ack", dir_outbox_ack },
	{ NULL, NULL },
};

static const luaL_Reg module_fns[] = {
	{ "version", l_version },
	{ "open", l_open },
	{ "filestore", l_filestore },
	{ "memstore", l_memstore },
	{ "partner", l_partner },
	{ "user", l_user },
	{ "is_error", l_is_error },
	{ "field_label", l_field_label },
	{ "phone_languages", l_phone_languages },
	{ NULL, NULL },
};

static void new_class(lua_State *L, const char *name, const luaL_Reg *methods,
		      lua_CFunction gc, lua_CFunction close,
		      lua_CFunction tostring)
{
	luaL_newmetatable(L, name);
	if (methods) {
		lua_newtable(L);
		luaL_setfuncs(L, methods, 0);
		lua_setfield(L, -2, "__index");
	}
	if (gc) {
		lua_pushcfunction(L, gc);
		lua_setfield(L, -2, "__gc");
	}
	if (close) {
		lua_pushcfunction(L, close);
		lua_setfield(L, -2, "__close");
	}
	if (tostring) {
		lua_pushcfunction(L, tostring);
		lua_setfield(L, -2, "__tostring");
	}
	lua_pushliteral(L, "roster");
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
}

EXPORT int luaopen_roster(lua_State *L);

int luaopen_roster(lua_State *L)
{
	static const luaL_Reg store_methods_reg[] = {
		{ "close", store_close },
		{ NULL, NULL },
	};
	static const char *const type_names[] = { "", "string", "boolean",
						  "id", "list" };
	const char *name;
	int f, c;

	luaL_checkversion(L);
	new_class(L, DIR_MT, dir_methods, dir_gc, dir_close, dir_tostring);
	new_class(L, STORE_MT, store_methods_reg, store_gc, store_close,
		  store_tostring);
	new_class(L, BOX_MT, NULL, box_gc, NULL, NULL);
	new_class(L, ERROR_MT, NULL, NULL, NULL, error_tostring);
	new_class(L, EVENT_ERROR_MT, NULL, NULL, NULL, event_error_tostring);

	luaL_newlib(L, module_fns);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "system");
	lua_setfield(L, -2, "kind");
	lua_setfield(L, -2, "SYSTEM");
	/* roster.fields: name -> "string", "boolean", "id" or "list" */
	lua_newtable(L);
	for (f = 1; (name = roster_field_name(f)); f++) {
		int t = roster_field_type(f);

		lua_pushstring(L, t > 0 && t <= 4 ? type_names[t] : "other");
		lua_setfield(L, -2, name);
	}
	lua_setfield(L, -2, "fields");
	/* the codes by name: roster.ECONFLICT == -10 */
	for (c = 1; c < CODE_COUNT; c++) {
		lua_pushinteger(L, -c);
		lua_setfield(L, -2, code_names[c]);
	}
	return 1;
}
