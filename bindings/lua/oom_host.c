/*
 * oom_host.c: a Lua host whose allocator a script can make fail, for
 * test_oom.lua: Lua's memory errors inside roster's callbacks (an
 * export's write function, an import's read function) must be kept as
 * the function's errors are, never raised through roster's frames,
 * which would leave the directory entered for good.
 *
 * Usage: oom_host SCRIPT. The script gets arm(n): from now on, the n-th
 * allocation Lua makes that grows a block fails, and every one after it
 * (arm(0): none).
 */
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

static long fail_at, seen;

static void *alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	/* a block that grows, or a new one (whose osize is a type) */
	if ((!ptr || nsize > osize) && fail_at && ++seen >= fail_at)
		return NULL;
	return realloc(ptr, nsize);
}

static int arm(lua_State *L)
{
	fail_at = (long)luaL_checkinteger(L, 1);
	seen = 0;
	return 0;
}

int main(int argc, char **argv)
{
	lua_State *L;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: oom_host SCRIPT\n");
		return 2;
	}
	if (!(L = lua_newstate(alloc, NULL)))
		return 1;
	luaL_openlibs(L);
	lua_register(L, "arm", arm);
	rc = luaL_dofile(L, argv[1]);
	if (rc != LUA_OK)
		fprintf(stderr, "%s\n", lua_tostring(L, -1));
	lua_close(L);
	return rc == LUA_OK ? 0 : 1;
}
