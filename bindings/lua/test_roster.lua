-- Tests of the Lua module (run by meson test with LUA_CPATH set to the
-- built roster.so). Each test is a function; a failing assertion names
-- what was expected. Exits non-zero when any test fails.
local roster = require "roster"

assert(_VERSION == "Lua 5.4", "these tests need Lua 5.4, not " .. _VERSION)

-- Assertions -----------------------------------------------------------

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", what, show(want),
                        show(got)), 2)
  end
end

local function ok(cond, what)
  if not cond then error(what, 2) end
end

local function has(s, part, what)
  if type(s) ~= "string" or not s:find(part, 1, true) then
    error(string.format("%s: %s does not contain %s", what, show(s),
                        show(part)), 2)
  end
end

-- Call fn(...), which must fail; returns the error value.
local function fails(what, fn, ...)
  local good, err = pcall(fn, ...)
  if good then error(what .. ": expected an error, the call succeeded", 2) end
  return err
end

-- Call fn(...), which must fail with a roster error of `code` (and rule
-- and field when given); returns the error object.
local function refused(what, code, rule, field, fn, ...)
  local good, err = pcall(fn, ...)
  if good then error(what .. ": expected a refusal, the call succeeded", 2) end
  if not roster.is_error(err) then
    error(what .. ": expected a roster error, got " .. show(err), 2)
  end
  if err.code ~= code or (rule and err.rule ~= rule) or
      (field and err.field ~= field) then
    error(string.format("%s: expected %d %s %s, got %s", what, code,
                        rule or "", field or "", tostring(err)), 2)
  end
  return err
end

local function types_of(events)
  local t = {}
  for i, e in ipairs(events) do t[i] = e.type end
  return table.concat(t, " ")
end

-- Temporary store paths ------------------------------------------------

local cleanup = {}

local function store_path()
  local base = os.tmpname()
  os.remove(base)
  local path = base .. ".store"
  cleanup[#cleanup + 1] = path
  return path
end

local function remove_stores()
  for _, path in ipairs(cleanup) do
    for _, suffix in ipairs({ "", ".lock", ".tmp" }) do
      os.remove(path .. suffix)
    end
  end
end

-- A directory with a partner, an account, a PBX and an admin.
local function fixture(opts)
  local f = { events = {} }
  opts = opts or {}
  opts.on_event = opts.on_event or function(e)
    f.events[#f.events + 1] = e
  end
  f.dir = roster.open(opts)
  f.p = f.dir:partner_create(roster.SYSTEM, "Reseller")
  f.asp = roster.partner(f.p)
  f.a = f.dir:account_create(f.asp, f.p, "Acme")
  f.pbx = f.dir:pbx_create(f.asp, f.a, "PBX", 3, 4)
  f.admin = f.dir:user_create(f.asp, f.a, {
    first_name = "Ada", last_name = "Admin", email = "ada@acme.example",
    admin = true })
  f.as_admin = roster.user(f.admin)
  return f
end

local function clear(t) for k in pairs(t) do t[k] = nil end end

-- Tests ----------------------------------------------------------------

local tests = {}
local function test(name, fn) tests[#tests + 1] = { name = name, fn = fn } end

test("module", function()
  has(roster.version(), ".", "version")
  eq(roster.ECONFLICT, -10, "roster.ECONFLICT")
  eq(roster.EAUTH, -18, "roster.EAUTH")
  eq(roster.fields.email, "string", "type of email")
  eq(roster.fields.admin, "boolean", "type of admin")
  eq(roster.fields.pbx, "id", "type of pbx")
  eq(roster.fields.lines, "list", "type of lines")
  eq(roster.SYSTEM.kind, "system", "SYSTEM")
  eq(roster.partner(7).id, 7, "partner actor id")
end)

test("create and read", function()
  local f = fixture()
  local d = f.dir
  local site = d:site_create(f.asp, f.a, "Paris")
  local group = d:group_create(f.asp, f.a, "Sales")
  clear(f.events)
  local u = d:user_create(f.as_admin, f.a, {
    first_name = " Marie ", last_name = "Dvořáková",
    email = "marie@acme.example", pbx = f.pbx, extension = 201,
    lines = { "+420 601 000 001" }, two_factor = true, site = site,
    group = group })
  local got = d:user_get(u)
  eq(got.id, u, "id")
  eq(got.account, f.a, "account")
  eq(got.first_name, "Marie", "first_name trimmed")
  eq(got.display_name, "Marie Dvořáková", "display_name")
  eq(got.extension, "201", "extension from a number")
  eq(#got.lines, 1, "number of lines")
  eq(got.lines[1], "+420601000001", "line normalised")
  eq(got.site, site, "site")
  eq(got.group, group, "group")
  eq(got.two_factor, true, "two_factor")
  eq(got.registered, false, "registered")
  eq(got.has_password, false, "has_password")
  eq(got.password, nil, "password never read")
  eq(got.phone, nil, "unset phone")
  eq(types_of(f.events), "user.created email.welcome pbx.reload",
     "events of the creation")
  eq(d:find_login("MARIE@acme.example"), u, "find_login")
  eq(d:find_login("nobody@acme.example"), nil, "find_login of nobody")
  -- update: false clears an optional field
  d:user_update(f.as_admin, u, { note = "desk 4" })
  eq(d:user_get(u).note, "desk 4", "note set")
  d:user_update(f.as_admin, u, { note = false, site = false })
  eq(d:user_get(u).note, nil, "note cleared")
  eq(d:user_get(u).site, nil, "site cleared")
  d:user_delete(f.as_admin, u)
  eq(d:find_login("marie@acme.example"), nil, "deleted user")
  d:close()
end)

test("events in memory", function()
  local f = fixture()
  local d = f.dir
  clear(f.events)
  local u = d:user_create(f.asp, f.a, {
    first_name = "Tom", last_name = "Novak", email = "tom@acme.example" })
  local w = f.events[2]
  eq(w and w.type, "email.welcome", "second event")
  eq(w.user, u, "welcome user")
  eq(w.account, f.a, "welcome account")
  eq(w.partner, f.p, "welcome partner")
  eq(w.pbx, nil, "no pbx")
  eq(w.email, "tom@acme.example", "welcome email")
  ok(type(w.secret) == "string" and #w.secret > 20, "a live welcome has a token")
  eq(w.replayed, false, "live event")
  eq(next(w.withheld), nil, "nothing withheld")
  ok(f.events[1].seq < w.seq, "sequence numbers increase")
  -- the token was copied while valid: it still redeems
  eq(d:token_redeem(w.secret, "a long secret"), u, "token_redeem")
  eq(d:user_get(u).registered, true, "registered after redeeming")
  eq(d:login("tom@acme.example", "a long secret"), u, "login")
  refused("the token again", roster.EEXPIRED, "token.invalid", nil,
          d.token_redeem, d, w.secret, "another long secret")
  eq(d:outbox_replay(), 0, "a memory directory has no outbox")
  clear(f.events)
  d:password_reset(f.as_admin, f.a, { u })
  eq(types_of(f.events), "email.password_reset", "reset for one")
  ok(f.events[1].secret, "reset token")
  clear(f.events)
  d:welcome_send(f.asp, f.a)
  eq(#f.events, 2, "welcome for all users")
  clear(f.events)
  d:welcome_send(f.asp, f.a, {})
  eq(#f.events, 0, "welcome for an empty list")
  -- events reach the callback from a coroutine too
  clear(f.events)
  local co = coroutine.wrap(function()
    d:user_update(f.asp, u, { note = "from a coroutine" })
    return "done"
  end)
  eq(co(), "done", "coroutine")
  eq(types_of(f.events), "user.updated", "event from the coroutine")
  d:close()
end)

test("refusal in French", function()
  local f = fixture()
  local d = f.dir
  d:set_language("fr")
  local e = refused("delete an admin", roster.EPOLICY, "admin.delete", nil,
                    d.user_delete, d, f.asp, f.admin)
  eq(e.name, "EPOLICY", "name")
  has(e.message, "administrateur", "French message")
  has(tostring(e), "admin.delete", "tostring names the rule")
  has(tostring(e), "administrateur", "tostring has the message")
  e = refused("duplicate login", roster.EEXISTS, "email.unique", "email",
              d.user_create, d, f.asp, f.a,
              { first_name = "X", last_name = "Y", email = "ADA@acme.example" })
  eq(e.value, "ADA@acme.example", "the offending value, as given")
  -- the same refusal in each language, whatever the directory's
  eq(e.messages.fr, e.message, "messages.fr is the directory's message")
  has(e.messages.en, "already", "messages.en")
  has(e.messages.cs, "ADA@acme.example", "messages.cs")
  ok(e.messages.cs ~= e.messages.fr and e.messages.en ~= e.messages.fr,
     "three languages")
  refused("unknown language", roster.EINVAL, nil, nil, d.set_language, d, "xx")
  d:close()
end)

test("query and catalog refusals in the directory's language", function()
  -- a query's and a catalog's setters take no directory and record
  -- their refusals in English; the module gives them in the directory's
  -- language, as the directory's own refusals
  local f = fixture()
  local d = f.dir
  d:set_language("fr")
  local e = refused("a long query", roster.EINVALID, "text.bytes", "query",
                    d.search, d, f.asp, f.a, { text = string.rep("x", 300) })
  eq(e.message, e.messages.fr, "the message is the French one")
  has(e.message, "octets", "in French")
  has(e.messages.en, "bytes", "messages.en")
  e = refused("17 words", roster.EINVALID, "query.words", nil,
              d.search_count, d, f.asp, f.a,
              { text = "a1 a2 a3 a4 a5 a6 a7 a8 a9 b1 b2 b3 b4 b5 b6 b7 b8" })
  eq(e.message, e.messages.fr, "query.words in French")
  e = refused("a malformed catalog", roster.EPARSE, nil, nil,
              d.set_catalog, d, { xml = "<catalog" })
  eq(e.message, e.messages.fr, "catalog refusal in French")
  -- a language tag the directory is given, refused alike
  for _, call in ipairs{
    function() return d:set_language("xx") end,
    function() return d:catalog_items("licence", nil, "xx") end,
    function() return d:user_choices(roster.SYSTEM, f.a, 0, "xx") end,
  } do
    e = refused("a bad language tag", roster.EINVAL, "arg.range", nil, call)
    eq(e.message, e.messages.fr, "a bad tag refused in French")
    has(e.message, "hors limites", "in French")
  end
  d:set_language("cs")
  e = refused("a long query", roster.EINVALID, "text.bytes", nil,
              d.search, d, f.asp, f.a, { text = string.rep("x", 300) })
  eq(e.message, e.messages.cs, "then in Czech")
  d:close()
end)

test("error fields", function()
  local f = fixture()
  local d = f.dir
  local e = refused("bad phone", roster.EINVALID, "phone.e164", "phone",
                    d.user_create, d, f.asp, f.a, {
                      first_name = "Eve", last_name = "Y",
                      email = "eve@acme.example", phone = "12ab" })
  eq(e.value, "12ab", "value")
  has(e.message, "E.164", "message")
  e = refused("no such user", roster.ENOTFOUND, "record.notfound", nil,
              d.user_get, d, 987654)
  eq(e.value, "987654", "value of the missing record")
  refused("a partner creating a partner", roster.EDENIED, "auth.system", nil,
          d.partner_create, d, f.asp, "Other")
  refused("bad digits", roster.EINVALID, "pbx.digits", nil,
          d.pbx_create, d, f.asp, f.a, "P2", 5, 3)
  -- errors of calls without a directory
  refused("open with a bad language", roster.EINVAL, nil, nil,
          roster.open, { language = "xx" })
  d:close()
end)

test("self-service and login", function()
  local f = fixture()
  local d = f.dir
  local u = d:user_create(f.as_admin, f.a, {
    first_name = "Tom", last_name = "Novak", email = "tom@acme.example",
    password = "a long secret" })
  local me = roster.user(u)
  eq(select("#", d:may_edit(me, u, "language")), 1, "allowed: no reason")
  eq(d:may_edit(me, u, "language"), true, "may edit language")
  local allowed, why = d:may_edit(me, u, "admin")
  eq(allowed, false, "may not edit admin")
  -- the reason, for the greyed-out field's tooltip: not raised
  ok(roster.is_error(why), "the reason is an error table")
  eq(why.code, roster.EDENIED, "its code")
  eq(why.rule, "auth.field", "its rule")
  eq(why.field, "admin", "its field")
  has(why.messages.fr, "admin de compte", "its message in French")
  d:set_language("fr")
  allowed, why = d:may_edit(f.as_admin, u, "registered")
  eq(allowed, false, "registered is read-only")
  eq(why.rule, "auth.readonly", "read-only rule")
  eq(why.message, why.messages.fr, "in the directory's language")
  d:set_language("en")
  refused("self-promotion", roster.EDENIED, "auth.field", "admin",
          d.user_update, d, me, u, { admin = true })
  d:user_update(me, u, { language = "cs-CZ" })
  eq(d:user_get(u).language, "cs-CZ", "language")
  eq(d:user_get(u).has_password, true, "has_password")
  eq(d:login("TOM@acme.example", "a long secret"), u, "login")
  refused("wrong password", roster.EAUTH, "login.failed", nil,
          d.login, d, "tom@acme.example", "wrong")
  d:close()
end)

test("transactions", function()
  local f = fixture()
  local d = f.dir
  clear(f.events)
  -- a refusal inside rolls the whole transaction back and is raised
  refused("a refused call inside", roster.EPOLICY, "admin.delete", nil,
          d.transaction, d, function(dd)
            dd:user_create(f.asp, f.a, {
              first_name = "A", last_name = "B", email = "ab@acme.example" })
            dd:user_delete(f.asp, f.admin)
          end)
  eq(d:in_transaction(), false, "closed after the error")
  eq(d:find_login("ab@acme.example"), nil, "rolled back")
  eq(#f.events, 0, "no events of a rollback")
  -- any Lua error too, raised as it was
  local err = fails("a Lua error inside", d.transaction, d, function(dd)
    dd:user_create(f.asp, f.a, {
      first_name = "A", last_name = "B", email = "ab@acme.example" })
    error({ mine = true })
  end)
  eq(type(err) == "table" and err.mine, true, "the error raised again")
  eq(d:find_login("ab@acme.example"), nil, "rolled back after a Lua error")
  -- success commits, events after commit, results passed through
  local id, extra = d:transaction(function(dd, arg)
    local x = dd:user_create(f.asp, f.a, {
      first_name = "A", last_name = "B", email = "ab@acme.example" })
    eq(dd:in_transaction(), true, "inside")
    eq(#f.events, 0, "events wait for commit")
    return x, arg
  end, "passed")
  eq(extra, "passed", "extra argument and result")
  eq(d:find_login("ab@acme.example"), id, "committed")
  ok(#f.events > 0 and f.events[1].type == "user.created", "events after commit")
  -- by hand
  d:begin()
  refused("begin twice", roster.EMISUSE, "txn.open", nil, d.begin, d)
  d:user_update(f.asp, id, { note = "temp" })
  d:rollback()
  eq(d:user_get(id).note, nil, "rollback by hand")
  refused("commit with none", roster.EMISUSE, "txn.none", nil, d.commit, d)
  d:close()
end)

test("bad input", function()
  local f = fixture()
  local d = f.dir
  refused("control character", roster.EINVALID, "text.control", "first_name",
          d.user_create, d, f.asp, f.a,
          { first_name = "\7", last_name = "Y", email = "y@acme.example" })
  has(fails("unknown field", d.user_create, d, f.asp, f.a, { nope = "x" }),
      "nope", "unknown field named")
  has(fails("wrong type", d.user_create, d, f.asp, f.a, { admin = "yes" }),
      "admin", "field of the wrong type named")
  has(fails("lines of numbers", d.user_create, d, f.asp, f.a, { lines = { 1 } }),
      "lines", "list of strings")
  has(fails("not an actor", d.partner_create, d, { kind = "king" }, "X"),
      "actor", "bad actor")
  has(fails("no actor", d.partner_create, d, nil, "X"), "actor", "no actor")
  has(fails("nosync without path", roster.open, { nosync = true }), "nosync",
      "nosync alone")
  has(fails("a bad store", roster.open, { store = {} }), "store", "store type")
  -- the forms of refused calls were freed: the directory goes on
  eq(d:find_login("y@acme.example"), nil, "nothing created")
  d:close()
end)

test("event callback errors and misuse", function()
  local f = fixture()
  local d = f.dir
  local u = d:user_create(f.asp, f.a, {
    first_name = "C", last_name = "B", email = "cb@acme.example" })
  -- an error of the callback is raised after the change was committed
  local calls = 0
  d:on_event(function(e)
    calls = calls + 1
    error("host failed on " .. e.type)
  end)
  local err = fails("callback error", d.user_update, d, f.asp, u,
                    { note = "x", pbx = f.pbx, extension = "300" })
  has(err, "host failed on user.updated", "the first callback error")
  eq(calls, 2, "later events still delivered")
  eq(d:user_get(u).note, "x", "committed all the same")
  -- calling into the directory from its callback is refused
  local inner
  d:on_event(function() inner = d:user_get(u) end)
  refused("reentrant call", roster.EMISUSE, "reentrant", nil,
          d.user_update, d, f.asp, u, { note = "y" })
  eq(inner, nil, "the inner call returned nothing")
  eq(d:user_get(u).note, "y", "the outer change committed")
  -- closing it from its callback too
  d:on_event(function() d:close() end)
  refused("close from the callback", roster.EMISUSE, nil, nil,
          d.user_update, d, f.asp, u, { note = "z" })
  eq(d:closed(), false, "still open")
  eq(d:user_get(u).note, "z", "the change committed")
  -- no callback: events are dropped
  d:on_event(nil)
  d:user_update(f.asp, u, { note = "quiet" })
  -- a callback using another directory is fine
  local other = roster.open()
  local mirrored = {}
  d:on_event(function(e)
    mirrored[#mirrored + 1] = other:partner_create(roster.SYSTEM,
                                                   "mirror " .. e.seq)
  end)
  d:user_update(f.asp, u, { note = "mirrored" })
  eq(#mirrored, 1, "one event mirrored")
  eq(math.type(mirrored[1]), "integer", "the other directory's new id")
  other:close()
  d:close()
end)

test("closed directory", function()
  local d = roster.open()
  d:close()
  d:close() -- twice is harmless
  eq(d:closed(), true, "closed()")
  has(tostring(d), "closed", "tostring")
  local e = refused("partner_create", roster.EMISUSE, nil, nil,
                    d.partner_create, d, roster.SYSTEM, "X")
  has(e.message, "closed", "message")
  eq(next(e.messages), nil, "the binding's own error: no messages")
  refused("user_get", roster.EMISUSE, nil, nil, d.user_get, d, 1)
  refused("outbox_replay", roster.EMISUSE, nil, nil, d.outbox_replay, d)
  refused("transaction", roster.EMISUSE, nil, nil, d.transaction, d,
          function() end)
  eq(d:in_transaction(), false, "in_transaction")
  -- a method given something else than a directory
  has(fails("not a directory", d.user_get, {}, 1), "roster.directory",
      "type check")
  -- to-be-closed variables
  local kept
  do
    local dd <close> = roster.open()
    kept = dd
    dd:partner_create(roster.SYSTEM, "P")
  end
  eq(kept:closed(), true, "closed at the end of its block")
  -- the directory's transaction closed inside: misuse, no crash
  local d2 = roster.open()
  refused("closed inside its transaction", roster.EMISUSE, nil, nil,
          d2.transaction, d2, function(dd) dd:close() end)
  eq(d2:closed(), true, "closed")
end)

-- Stores ---------------------------------------------------------------

local function populate(d)
  local p = d:partner_create(roster.SYSTEM, "Reseller")
  local a = d:account_create(roster.partner(p), p, "Acme")
  local u = d:user_create(roster.partner(p), a, {
    first_name = "Ada", last_name = "Admin", email = "ada@acme.example",
    admin = true, phone = "+33 1 23 45 67 89" })
  return p, a, u
end

test("file store: reopen", function()
  local path = store_path()
  local p, u, before
  do
    local d <close> = roster.open { path = path, nosync = true }
    p, _, u = populate(d)
    before = d:user_get(u)
  end
  local d <close> = roster.open { path = path, nosync = true }
  eq(d:find_login("ADA@acme.example"), u, "found after reopening")
  local got = d:user_get(u)
  for k, v in pairs(before) do
    if type(v) ~= "table" then eq(got[k], v, "field " .. k) end
  end
  eq(got.phone, "+33123456789", "phone")
  ok(d:account_create(roster.partner(p), p, "Beta") > u,
     "identifiers go on after the stored ones")
end)

test("file store: events and outbox after reopen", function()
  local path = store_path()
  local live, p, a, u = {}, nil, nil, nil
  do
    local d <close> = roster.open {
      path = path, nosync = true,
      on_event = function(e) live[#live + 1] = e end }
    p, a, u = populate(d)
  end
  eq(types_of(live), "partner.created account.created user.created email.welcome",
     "live events")
  ok(live[4].secret, "live welcome token")
  -- the host crashed before acting on any: replay after reopening
  local got = {}
  local d <close> = roster.open {
    path = path, nosync = true,
    on_event = function(e) got[#got + 1] = e end }
  eq(d:outbox_replay(2), 2, "replay at most 2")
  eq(got[1].seq, live[1].seq, "oldest first")
  eq(got[2].seq, live[2].seq, "then the next")
  clear(got)
  eq(d:outbox_replay(), 4, "replay all")
  for i = 1, 4 do
    eq(got[i].seq, live[i].seq, "seq of replayed event " .. i)
    eq(got[i].type, live[i].type, "type of replayed event " .. i)
    eq(got[i].replayed, true, "replayed flag " .. i)
  end
  eq(got[4].secret, nil, "secrets are never stored")
  eq(got[4].withheld.secret, true, "the token is withheld")
  eq(got[4].withheld.password, nil, "no password was handed out")
  eq(got[4].email, "ada@acme.example", "email kept")
  eq(got[4].user, u, "user kept")
  -- acknowledge the first three; twice is harmless
  eq(d:outbox_ack(live[1].seq, live[3].seq), 3, "acked")
  eq(d:outbox_ack(live[1].seq, live[3].seq), 0, "acked again")
  clear(got)
  eq(d:outbox_replay(), 1, "one left")
  eq(got[1].type, "email.welcome", "the welcome is left")
  refused("first > last", roster.EINVAL, nil, nil, d.outbox_ack, d,
          live[3].seq, live[1].seq)
  -- a new token for the withheld one
  clear(got)
  d:welcome_send(roster.partner(p), a, { u })
  eq(types_of(got), "email.welcome", "welcome again")
  ok(got[1].secret, "a fresh token")
  eq(got[1].replayed, false, "live")
  ok(got[1].seq > live[4].seq, "numbered after the stored ones")
  eq(d:outbox_ack(live[4].seq), 1, "ack one")
  eq(d:outbox_ack(got[1].seq, -1), 1, "ack up to the last")
  eq(d:outbox_replay(), 0, "outbox empty")
  d:close()
  -- without an outbox
  local quiet <close> = roster.open { path = path, nosync = true, outbox = false }
  quiet:user_update(roster.partner(p), u, { note = "no outbox" })
  eq(quiet:outbox_replay(), 0, "nothing kept")
end)

test("file store: conflict between two directories", function()
  local path = store_path()
  local fs <close> = roster.filestore(path, true)
  has(tostring(fs), "file", "store tostring")
  local a <close> = roster.open { store = fs }
  local b <close> = roster.open { store = fs }
  local p, _, u = populate(a)
  eq(b:find_login("ada@acme.example"), nil, "not seen before refresh")
  b:refresh()
  eq(b:find_login("ada@acme.example"), u, "seen after refresh")
  local asp = roster.partner(p)
  a:user_update(asp, u, { note = "from a" })
  local e = refused("stale update", roster.ECONFLICT, "storage.conflict", nil,
                    b.user_update, b, asp, u, { note = "from b" })
  eq(e.name, "ECONFLICT", "name")
  -- the loser refreshed itself: it sees the winner and retries
  eq(b:user_get(u).note, "from a", "the winner's note")
  b:user_update(asp, u, { note = "from b" })
  a:refresh()
  eq(a:user_get(u).note, "from b", "a after refresh")
  -- not while a transaction is open
  a:begin()
  refused("refresh in a transaction", roster.EMISUSE, "txn.open", nil,
          a.refresh, a)
  a:rollback()
  -- a store is closed after its directories
  refused("close the store first", roster.EMISUSE, nil, nil, fs.close, fs)
  a:close()
  b:close()
  fs:close()
  refused("open on a closed store", roster.EMISUSE, nil, nil,
          roster.open, { store = fs })
end)

test("file store: two handles on one path", function()
  local path = store_path()
  local a <close> = roster.open { path = path, nosync = true }
  local b <close> = roster.open { path = path, nosync = true }
  local _, _, u = populate(a)
  eq(b:find_login("ada@acme.example"), nil, "b has not read it yet")
  refused("b writes stale", roster.ECONFLICT, nil, nil,
          b.partner_create, b, roster.SYSTEM, "Reseller")
  eq(b:find_login("ada@acme.example"), u, "b refreshed by the conflict")
end)

test("memory store shared", function()
  local ms = roster.memstore()
  local a = roster.open { store = ms }
  local b = roster.open { store = ms }
  local _, _, u = populate(a)
  eq(b:find_login("ada@acme.example"), nil, "before refresh")
  b:refresh()
  eq(b:find_login("ada@acme.example"), u, "after refresh")
  a:close()
  b:close()
  ms:close()
  ms:close()
end)

test("store errors", function()
  local path = store_path()
  local fh = assert(io.open(path, "wb"))
  fh:write(string.rep("not a roster store, but long enough to look at\n", 4))
  fh:close()
  refused("not a store", roster.EPARSE, "storage.file", nil,
          roster.open, { path = path })
  refused("no such directory", roster.ESTORAGE, "storage.failed", nil,
          roster.filestore, path .. ".d/no/such")
  has(fails("path and store", roster.open,
            { path = path, store = roster.memstore() }), "not both",
      "path and store")
end)

test("garbage collection", function()
  local path = store_path()
  -- directories and stores dropped without closing, in either order
  for _ = 1, 3 do
    local fs = roster.filestore(path, true)
    local d = roster.open { store = fs, on_event = function() end }
    populate(d)
    d, fs = nil, nil
    collectgarbage()
    collectgarbage()
    -- what the collected directory committed is in the file
    local again <close> = roster.open { path = path, nosync = true }
    ok(again:find_login("ada@acme.example"), "committed before collection")
    again:close()
    os.remove(path)
  end
  -- a directory whose callback names the directory is collected too
  local weak = setmetatable({}, { __mode = "k" })
  do
    local d
    d = roster.open { on_event = function() local _ = d end }
    d:partner_create(roster.SYSTEM, "Cycle")
    weak[d] = true
  end
  collectgarbage()
  collectgarbage()
  ok(next(weak) == nil, "a directory referred to by its own callback is "
     .. "collected")
  local holder = {}
  holder.fs = roster.memstore()
  holder.d = roster.open { store = holder.fs }
  holder.d:partner_create(roster.SYSTEM, "P")
  holder = nil
  collectgarbage()
  collectgarbage()
end)

-- An account's user list as a portal shows it: search, import, export,
-- product licences.
local function portal()
  local f = fixture()
  local d = f.dir
  f.n = {}
  for _, u in ipairs({ { "Marie", "Dvořáková", "marie" },
                       { "Marie-Hélène", "Durand", "mh" },
                       { "Zakaria", "Benali", "zakaria" },
                       { "Tom", "Novák", "tom" } }) do
    f.n[u[2]] = d:user_create(f.asp, f.a, {
      first_name = u[1], last_name = u[2],
      email = u[3] .. "@acme.example" })
  end
  return f
end

-- The ids of one search page, which must be the last.
local function found(f, query, account)
  local ids, cursor = f.dir:search(f.asp, account or f.a, query)
  eq(cursor, nil, "one page")
  return table.concat(ids, ",")
end

local function list(...) return table.concat({ ... }, ",") end

test("search as you type", function()
  local f = portal()
  local n, d = f.n, f.dir
  eq(found(f, { text = "dvor" }), list(n["Dvořáková"]), "dvor")
  eq(found(f, { text = "hel" }), list(n.Durand), "hel")
  eq(found(f, { text = "ZÁK" }), list(n.Benali), "ZÁK")
  eq(found(f, { text = "ma dv" }), list(n["Dvořáková"]), "ma dv")
  eq(found(f, { text = "nobody" }), "", "no match")
  -- the documented order: last name, first name, id
  local everyone = list(f.admin, n.Benali, n.Durand, n["Dvořáková"],
                        n["Novák"])
  eq(found(f, nil), everyone, "every user")
  eq(found(f, {}), everyone, "empty query")
  eq(d:search_count(f.asp, f.a, { text = "ma" }), 2, "count ma")
  eq(d:search_count(f.asp, 0), 5, "count in every account")
  -- pages
  local first, cursor = d:search(f.asp, f.a, nil, nil, 3)
  eq(#first, 3, "first page")
  ok(type(cursor) == "string", "a cursor")
  d:user_create(f.asp, f.a, { first_name = "Zoé", last_name = "Zeman",
                              email = "zoe@acme.example" })
  local rest, last = d:search(f.asp, f.a, nil, cursor, 3)
  eq(last, nil, "last page")
  eq(#rest, 3, "the rest, with the user added after the cursor")
  eq(list(table.unpack(first)) .. "," .. list(table.unpack(rest)),
     everyone .. "," .. d:find_login("zoe@acme.example"), "pages in order")
  refused("bad cursor", roster.EINVAL, nil, nil, d.search, d, f.asp, f.a,
          nil, "not a cursor")
  refused("a user may not search", roster.EDENIED, nil, nil, d.search, d,
          roster.user(n.Benali), f.a)
  has(fails("limit", d.search, d, f.asp, f.a, nil, nil, -1), "out of range",
      "negative limit")
end)

test("search filters", function()
  local f = portal()
  local n, d = f.n, f.dir
  local site = d:site_create(f.asp, f.a, "Brno")
  d:user_update(f.asp, n.Durand, { site = site })
  d:user_update(roster.SYSTEM, n.Benali, { iot = true })
  eq(found(f, { filters = { "admins" } }), list(f.admin), "admins")
  eq(found(f, { filters = { "iot" } }), list(n.Benali), "iot")
  eq(found(f, { filters = { "iot", "admins" } }), "", "both")
  eq(found(f, { site = site }), list(n.Durand), "site")
  eq(found(f, { text = "ma", site = site }), list(n.Durand), "text and site")
  eq(f.dir:search_count(f.asp, f.a, { filters = { "unregistered" } }), 5,
     "unregistered")
  has(fails("unknown filter", found, f, { filters = { "vip" } }),
      "unknown value 'vip'", "unknown filter")
  has(fails("text type", found, f, { text = {} }), "takes a string",
      "text type")
end)

test("import and export", function()
  local f = portal()
  local d = f.dir
  local rep = d:import(f.asp, f.a, { data =
    "first_name,last_name,email,note\r\n" ..
    "Émile,Zola,emile@acme.example,\r\n" ..
    '"Anne, Marie","O""Neil",anne@acme.example,"two\nlines"\r\n' })
  eq(rep.rows, 2, "rows")
  eq(rep.created, 2, "created")
  eq(#rep.errors, 0, "no error")
  local anne = f.dir:find_login("anne@acme.example")
  eq(d:user_get(anne).last_name, 'O"Neil', "quoted quote")
  eq(d:user_get(anne).note, "two\nlines", "quoted newline")
  for _, fmt in ipairs({ "csv", "xml" }) do
    local data = d:export(f.asp, f.a, fmt)
    local b = d:account_create(f.asp, f.p, "Copy " .. fmt)
    data = data:gsub("@acme%.example", "@" .. fmt .. ".example")
    eq(d:import(f.asp, b, { data = data, format = fmt }).created, 7,
       fmt .. " copy")
    local mine = d:search(f.asp, f.a, nil, nil, 100)
    local copy = d:search(f.asp, b, nil, nil, 100)
    eq(#copy, #mine, fmt .. " users")
    for i = 1, #mine do
      local x, y = d:user_get(mine[i]), d:user_get(copy[i])
      for name in pairs(roster.fields) do
        if name == "email" then
          eq(y.email:match("^[^@]*"), x.email:match("^[^@]*"), "login")
        elseif type(x[name]) ~= "table" then
          eq(y[name], x[name], fmt .. " " .. name)
        end
      end
    end
  end
  eq(d:export(f.asp, f.a), d:export(f.asp, f.a, "csv"), "csv by default")
  refused("export of another partner's account", roster.EDENIED, nil, nil,
          d.export, d, roster.user(f.n.Benali), f.a)
end)

test("import and export through functions, a piece at a time", function()
  local f = portal()
  local d = f.dir
  -- export: the pieces make the string export
  local pieces = {}
  eq(d:export(f.asp, f.a, "xml", function(s) pieces[#pieces + 1] = s end),
     nil, "returns nothing")
  eq(table.concat(pieces), d:export(f.asp, f.a, "xml"), "the same bytes")
  -- import: read(max) gives at most max bytes, nil at the end
  local csv = "first_name,last_name,email\n" ..
              "Pièce,Parpièce,piece@acme.example\n" ..
              "Autre,Pièce,autre@acme.example\n"
  local at, asked = 1, 0
  local rep = d:import(f.asp, f.a, { read = function(max)
    asked = max
    if at > #csv then return nil end
    local s = csv:sub(at, at + 6) -- 7 bytes a time, cutting characters
    at = at + #s
    return s
  end })
  eq(rep.created, 2, "created from the pieces")
  ok(asked > 0, "read is told how much it may return")
  eq(d:user_get(d:find_login("piece@acme.example")).last_name, "Parpièce",
     "characters cut between pieces")
  -- a read function's error ends the import, which imports nothing
  local good, err = pcall(d.import, d, f.asp, f.a, { read = function()
    error({ why = "socket closed" })
  end })
  ok(not good, "the read error is raised")
  eq(err.why, "socket closed", "as it was raised")
  good, err = pcall(d.import, d, f.asp, f.a, { read = function(max)
    return string.rep("x", max + 1)
  end })
  has(tostring(err), "more bytes than asked", "too much")
  good, err = pcall(d.import, d, f.asp, f.a, { read = function() return 7 end })
  has(tostring(err), "a string or nil", "not a string")
  local n = 0
  good, err = pcall(d.import, d, f.asp, f.a, { read = function()
    n = n + 1
    if n == 1 then return "first_name,last_name,email\nLate,Fail,late@acme.example\n" end
    error("read failed late")
  end })
  has(tostring(err), "read failed late", "a late error")
  eq(d:find_login("late@acme.example"), nil, "nothing imported")
  has(fails("two sources", d.import, d, f.asp, f.a,
            { data = csv, read = function() end }), "one of them",
      "data and read")
  has(fails("read", d.import, d, f.asp, f.a, { read = "not a function" }),
      "function", "read is a function")
  -- a write function's error ends the export and is raised as it was
  good, err = pcall(d.export, d, f.asp, f.a, "csv", function()
    error("disk full")
  end)
  has(tostring(err), "disk full", "the write error")
  -- the directory is in order after all of that
  eq(d:import(f.asp, f.a, { data = "first_name,last_name,email\n" ..
                              "After,Wards,aw@acme.example\n" }).created,
     1, "an import after")
end)

test("import refusals", function()
  local f = portal()
  local d = f.dir
  local before = d:search_count(f.asp, f.a)
  local csv = "first_name,last_name,email\n" ..
              "Ok,Row,ok@acme.example\n" ..
              "Bad,Row,not-an-address\n" ..
              "Dup,Row,OK@acme.example\n"
  local err = refused("all or nothing", roster.EINVALID, nil, nil,
                      d.import, d, f.asp, f.a, { data = csv })
  local rep = err.report
  eq(rep.created, 0, "nothing created")
  eq(#rep.errors, 2, "two refusals")
  eq(rep.errors[1].line, 3, "line of the bad e-mail")
  eq(rep.errors[1].column, "email", "its column")
  eq(rep.errors[1].rule, "email.syntax", "its rule")
  eq(rep.errors[1].name, "EINVALID", "its code's name")
  ok(#rep.errors[1].message > 0, "a message")
  eq(rep.errors[1].messages.en, rep.errors[1].message, "in English")
  has(rep.errors[1].messages.fr, "adresse e-mail", "and in French")
  eq(rep.errors[2].line, 4, "line of the duplicate")
  eq(rep.errors[2].rule, "email.unique", "duplicate in the file")
  eq(d:search_count(f.asp, f.a), before, "nothing imported")
  err = refused("dry run", roster.EINVALID, nil, nil, d.import, d, f.asp,
                f.a, { data = csv, dry_run = true })
  eq(#err.report.errors, 2, "dry run reports")
  clear(f.events)
  rep = d:import(f.asp, f.a, { data = "first_name,last_name,email\n" ..
                               "Good,Dry,dry@acme.example\n",
                               dry_run = true })
  eq(rep.rows .. " " .. rep.created, "1 0", "a good dry run")
  eq(#f.events, 0, "no event in a dry run")
  eq(d:search_count(f.asp, f.a), before, "nothing imported by a dry run")
  rep = d:import(f.asp, f.a, { data = csv, mode = "best_effort" })
  eq(rep.created .. " " .. #rep.errors, "1 2", "best effort")
  eq(d:search_count(f.asp, f.a), before + 1, "the good row imported")
  err = refused("malformed", roster.EPARSE, nil, nil, d.import, d, f.asp,
                f.a, { data = 'first_name,email\n"open,x@y.example\n' })
  eq(err.report.created, 0, "malformed: report")
  has(fails("data or path", d.import, d, f.asp, f.a, {}), "one of them",
      "neither data nor path")
  has(fails("mode", d.import, d, f.asp, f.a, { data = csv, mode = "x" }),
      "unknown value 'x'", "unknown mode")
  has(fails("format", d.export, d, f.asp, f.a, "json"),
      "unknown value 'json' (one of: csv, xml)", "unknown format")
  -- an options table where the format goes, as import takes one
  has(fails("format", d.export, d, f.asp, f.a, { format = "xml" }),
      "format: a name expected, got table (one of: csv, xml)",
      "a table for the format")
  has(fails("filter", d.search, d, f.asp, f.a, { filters = { true } }),
      "filter: a name expected, got boolean (one of: admins,",
      "a boolean for a filter")
  -- from a file
  local path = store_path()
  local fh = assert(io.open(path, "w"))
  fh:write('<?xml version="1.0" encoding="UTF-8"?>\n' ..
           '<users xmlns="urn:roster:users:1">\n' ..
           '<user><first_name>Jiří</first_name>' ..
           '<last_name>Šťastný</last_name>' ..
           '<email>jiri@acme.example</email></user>\n</users>\n')
  fh:close()
  eq(d:import(f.asp, f.a, { path = path, format = "xml" }).created, 1,
     "from a file")
  eq(found(f, { text = "stast" }), list(d:find_login("jiri@acme.example")),
     "found after the import")
  refused("no such file", roster.ESTORAGE, nil, nil, d.import, d, f.asp,
          f.a, { path = path .. ".missing" })
end)

test("password policy: read, set, generate", function()
  local f = fixture()
  local d = f.dir
  local p = d:password_policy()
  eq(p.min_length, 12, "default minimum")
  eq(p.max_length, 128, "default maximum")
  eq(#p.required_classes, 0, "no class required")
  d:set_password_policy{ min_length = 14,
                         required_classes = { "symbol", "digit" } }
  p = d:password_policy()
  eq(p.min_length, 14, "minimum set")
  eq(p.max_length, 128, "maximum kept")
  eq(table.concat(p.required_classes, " "), "digit symbol", "classes")
  refused("too short", roster.EINVALID, "password.length", "password",
          d.password_check, d, "Short-pw-1!")
  -- checked as a whole; a refusal changes nothing
  refused("minimum under the floor", roster.EINVAL, "policy.range",
          "min_length", d.set_password_policy, d, { min_length = 3 })
  eq(d:password_policy().min_length, 14, "unchanged")
  has(fails("member", d.set_password_policy, d, { min_lenght = 20 }),
      "one of: min_length", "an unknown member names the members")
  has(fails("class", d.set_password_policy, d,
            { required_classes = { "emoji" } }), "one of: lower", "class")
  has(fails("type", d.set_password_policy, d, { hash_cost = "5" }),
      "takes an integer", "a string for an integer")
  eq(d:password_policy().min_length, 14, "still unchanged")
  local pw = d:password_generate()
  eq(#pw, d:password_policy().generated_length, "generated length")
  d:password_check(pw) -- passes the policy
end)

test("a form's country of national numbers", function()
  local f = portal()
  local d = f.dir
  local u = d:user_create(f.asp, f.a, { first_name = "Jan",
    last_name = "Novotny", email = "jn@acme.example",
    phone = "601 234 567", numbers_country = "CZ" })
  eq(d:user_get(u).phone, "+420601234567", "national phone")
  refused("unknown country", roster.EINVAL, "arg.range", "country",
          d.user_update, d, f.asp, u,
          { phone = "601 234 568", numbers_country = "XX" })
  refused("no country", roster.EINVALID, "phone.e164", "phone",
          d.user_update, d, f.asp, u, { phone = "601 234 568" })
  eq(d:user_get(u).phone, "+420601234567", "unchanged")
end)

test("a form made from a user's version", function()
  local f = portal()
  local d = f.dir
  local u = d:user_create(f.asp, f.a, { first_name = "Vera",
    last_name = "Version", email = "vv@acme.example" })
  local shown = d:user_get(u).version
  assert(math.type(shown) == "integer" and shown ~= 0, "a version")
  d:user_update(f.asp, u, { note = "first" })
  refused("changed since shown", roster.ECONFLICT, "user.changed", "version",
          d.user_update, d, f.asp, u,
          { note = "second", expect_version = shown })
  eq(d:user_get(u).note, "first", "the other change stays")
  d:user_update(f.asp, u, { note = "second",
                            expect_version = d:user_get(u).version })
  eq(d:user_get(u).note, "second", "made again from it")
  local ok, err = pcall(d.user_update, d, f.asp, u,
                        { note = "x", expect_version = "1" })
  assert(not ok and tostring(err):find("expect_version"), "not a string")
end)

test("import stopped at max_errors", function()
  local f = portal()
  local d = f.dir
  local csv = "first_name,last_name,email\nA,B,bad1\nC,D,bad2\n" ..
              "E,F,stop@acme.example\n"
  local rep = d:import(f.asp, f.a, { data = csv, mode = "best_effort",
                                     max_errors = 2 })
  eq(rep.stopped, true, "stopped")
  eq(rep.created, 0, "the third row unread")
  eq(rep.errors[2].value, "bad2", "the value refused")
  rep = d:import(f.asp, f.a, { data = csv, mode = "best_effort",
                               max_errors = 3 })
  eq(rep.stopped, false, "read to the end")
  eq(rep.created, 1, "created")
end)

test("import of national numbers with a country", function()
  local f = portal()
  local d = f.dir
  local csv = "first_name,last_name,email,phone,lines\n" ..
              "Nat,Ional,nat@acme.example,01 44 55 66 77,0601020304\n"
  refused("no country", roster.EINVALID, "import.rows", nil, d.import, d,
          f.asp, f.a, { data = csv })
  eq(d:import(f.asp, f.a, { data = csv, country = "FR" }).created, 1,
     "created")
  local u = d:user_get(d:find_login("nat@acme.example"))
  eq(u.phone, "+33144556677", "phone")
  eq(u.lines[1], "+33601020304", "line")
  refused("unknown country", roster.EINVAL, "arg.range", "country",
          d.import, d, f.asp, f.a, { data = csv, country = "XX" })
  has(fails("three letters", d.import, d, f.asp, f.a,
            { data = csv, country = "FRA" }), "two-letter", "a code")
end)

test("import with a failing event callback", function()
  local f = portal()
  local d = f.dir
  d:on_event(function(e) error("boom " .. e.type) end)
  local good, err = pcall(d.import, d, f.asp, f.a, { data =
    "first_name,last_name,email\nCallback,Fails,cb@acme.example\n" ..
    "Bad,Row,nope\n", mode = "best_effort" })
  ok(not good, "the callback's error is raised")
  has(tostring(err), "boom", "the callback's error")
  ok(d:find_login("cb@acme.example"), "the import committed first")
  -- what the import did comes with it: the callback raised a string
  has(tostring(err.event_error), "boom user.created", "the string raised")
  eq(err.report.created, 1, "the report's users created")
  eq(#err.report.errors, 1, "the report's refused row")
  -- a table raised gets the report as its field
  d:on_event(function() error({ why = "queue down" }) end)
  good, err = pcall(d.import, d, f.asp, f.a, { data =
    "first_name,last_name,email\nTable,Raised,tr@acme.example\n" })
  ok(not good, "the table is raised")
  eq(err.why, "queue down", "the callback's own table")
  eq(err.report.created, 1, "with the report")
  -- the directory is left in order: later calls deliver their events
  local seen = {}
  d:on_event(function(e) seen[#seen + 1] = e.type end)
  d:import(f.asp, f.a, { data =
    "first_name,last_name,email\nAfter,Wards,aw@acme.example\n" })
  has(table.concat(seen, " "), "user.created", "events of the next call")
end)

test("strings with a NUL byte are refused, not cut short", function()
  local f = fixture()
  local d = f.dir
  has(fails("field", d.user_create, d, f.asp, f.a,
            { first_name = "Marie\0DROPPED", last_name = "N",
              email = "m@acme.example" }), "NUL", "a field")
  has(fails("login", d.login, d, "ada@acme.example\0x", "secret pw"),
      "NUL", "a login")
  has(fails("path", roster.open, { path = "/nonexistent\0.other" }),
      "NUL", "a path")
  has(fails("language", roster.open, { language = "fr\0x" }), "NUL",
      "a language")
  has(fails("lines", d.user_update, d, f.asp, f.admin,
            { lines = { "+420123456\x00789" } }), "NUL", "a line")
  has(fails("query", d.search, d, f.asp, f.a, { text = "a\0b" }), "NUL",
      "a query")
  eq(d:find_login("ada@acme.example"), f.admin, "the directory unchanged")
end)

test("names with a NUL byte are refused, not taken for the name before it",
     function()
  local f = fixture()
  local d = f.dir
  local csv = "first_name,last_name,email\nN,U,nul@acme.example\n"
  has(fails("filter", d.search, d, f.asp, f.a,
            { filters = { "admins\0vip" } }), "NUL", "a filter")
  has(fails("format", d.export, d, f.asp, f.a, "xml\0json"), "NUL",
      "an export's format")
  has(fails("import format", d.import, d, f.asp, f.a,
            { data = csv, format = "csv\0x" }), "NUL", "an import's format")
  has(fails("mode", d.import, d, f.asp, f.a,
            { data = csv, mode = "best_effort\0x" }), "NUL", "a mode")
  eq(d:find_login("nul@acme.example"), nil, "nothing imported")
  has(fails("kind", d.list_records, d, f.a, "user\0s"), "NUL",
      "a record kind")
  has(fails("item kind", d.catalog_items, d, "pack\0x"), "NUL",
      "an item kind")
  -- an actor table a host built from a request: "system\0..." is not
  -- the system
  has(fails("actor", d.partner_create, d, { kind = "system\0x" }, "X"),
      "not an actor", "an actor's kind")
  has(fails("actor in a search", d.search, d, { kind = "system\0x" }, 0),
      "not an actor", "an actor's kind in a search")
end)

test("product licences", function()
  local f = portal()
  local n, d = f.n, f.dir
  local two = { n.Benali, n.Durand }
  d:product_purchase(f.asp, f.a, "meetings", 2)
  eq(d:product_assign(f.as_admin, "meetings", two), 2, "assigned")
  local bought, used = d:product_counts(f.as_admin, f.a, "meetings")
  eq(bought .. "/" .. used, "2/2", "counts")
  eq(d:user_get(n.Benali).products[1], "meetings", "user's products")
  eq(found(f, { product = "meetings" }), list(n.Benali, n.Durand),
     "product filter")
  refused("no licence left", roster.EPOLICY, "product.none_available", nil,
          d.product_assign, d, f.as_admin, "meetings",
          { n["Novák"], n["Dvořáková"] })
  eq(#d:user_get(n["Novák"]).products, 0, "refused as a whole")
  eq(d:product_unassign(f.as_admin, "meetings", { n.Benali }), 1,
     "unassigned")
  -- the event callback raising after the change committed: its error
  -- carries the count the call would have returned
  d:on_event(function() error("mail queue down") end)
  local good, err = pcall(d.product_assign, d, f.as_admin, "meetings",
                          { n.Benali })
  d:on_event(nil)
  ok(not good, "the callback's error is raised")
  eq(err.count, 1, "with the count")
  has(tostring(err), "mail queue down", "printing as the callback's")
  eq(d:product_unassign(f.as_admin, "meetings", { n.Benali }), 1,
     "unassigned again")
  d:product_release(f.asp, f.a, "meetings", 1)
  bought, used = d:product_counts(f.as_admin, f.a, "meetings")
  eq(bought .. "/" .. used, "1/1", "counts after release")
  has(fails("ids", d.product_assign, d, f.as_admin, "meetings", { "x" }),
      "a list of user ids", "ids must be integers")
end)

-- The rest of a portal's everyday calls: records and listings, account
-- licences and services, stations, choices, billing, previews.
local function admin_fixture()
  local f = fixture()
  f.site = f.dir:site_create(f.asp, f.a, "Brno")
  return f
end

test("records and listings", function()
  local f = admin_fixture()
  local d, asp, a = f.dir, f.asp, f.a
  local group = d:group_create(asp, a, "Sales")
  local r = d:record_get(a)
  eq(r.kind, "account", "kind")
  eq(r.parent, f.p, "parent")
  eq(r.name, "Acme", "name")
  eq(r.members .. " " .. r.admins, "1 1", "members and admins")
  eq(r.helpdesk, false, "helpdesk")
  eq(r.edition, nil, "no edition")
  eq(#r.licences, 0, "no licence")
  r = d:record_get(f.pbx)
  eq(r.kind .. " " .. r.min_digits .. " " .. r.max_digits, "pbx 3 4",
     "a PBX's digits")
  d:record_rename(asp, group, "Ventes été")
  eq(d:record_get(group).name, "Ventes été", "renamed")
  eq(d:record_find(a, "group", "  VENTES été"), group, "found by name")
  refused("no such name", roster.ENOTFOUND, "record.named", "name",
          d.record_find, d, a, "group", "Ventes ete")
  local others = {}
  for i = 1, 4 do others[i] = d:account_create(asp, f.p, "Acme " .. i) end
  local ids, cursor, total = d:list_records(f.p, "account", nil, 3)
  eq(list(table.unpack(ids)), list(a, others[1], others[2]), "first page")
  eq(total, 5, "total")
  ids, cursor = d:list_records(f.p, "account", cursor)
  eq(list(table.unpack(ids)), list(others[3], others[4]), "next page")
  eq(cursor, nil, "last page")
  eq(d:list_records(0, "partner")[1], f.p, "partners")
  eq(d:list_records(a, "user")[1], f.admin, "users")
  local u = d:user_create(asp, a, { first_name = "S", last_name = "T",
                                    email = "st@acme.example",
                                    site = f.site })
  refused("a site in use", roster.EPOLICY, "record.in_use", nil,
          d.record_delete, d, asp, f.site)
  d:user_delete(asp, u)
  d:record_delete(asp, f.site)
  refused("deleted", roster.ENOTFOUND, nil, nil, d.record_get, d, f.site)
  has(fails("kind", d.list_records, d, a, "users"), "unknown value 'users'",
      "unknown kind")
  refused("limit 0", roster.EINVAL, nil, nil, d.list_records, d, a, "site",
          nil, 0)
  has(fails("NUL", d.record_rename, d, asp, group, "a\0b"), "NUL",
      "a name with a NUL")
  d:close()
end)

test("licences, stations and choices", function()
  local f = admin_fixture()
  local d, asp, a = f.dir, f.asp, f.a
  d:account_set_licences(asp, a, "profi", { "video", "helpdesk-profi" })
  local r = d:record_get(a)
  eq(r.edition, "profi", "edition")
  eq(list(table.unpack(r.licences)), "helpdesk-profi,video", "licences")
  refused("unknown licence", roster.EINVALID, "licence.unknown", nil,
          d.account_set_licences, d, asp, a, "profi", { "no-such" })
  has(fails("not a list", d.account_set_licences, d, asp, a, "profi",
            "video"), "table expected", "licences is a list")
  local function by_item(choices)
    local t = {}
    for _, c in ipairs(choices) do t[c.item] = c end
    return t
  end
  local choices = by_item(d:user_choices(asp, a, 0))
  eq(choices.video.allowed, true, "video allowed")
  local hd = choices["helpdesk-profi"]
  eq(hd.allowed, false, "helpdesk-profi refused")
  eq(hd.kind, "licence", "kind")
  local rules = {}
  for _, reason in ipairs(hd.reasons) do
    rules[#rules + 1] = reason.rule
    ok(#reason.message > 0, "a reason's message")
  end
  has(table.concat(rules, " "), "licence.service", "the service is missing")
  eq(choices.premium.kind, "pack", "packs follow")
  d:account_set_helpdesk(asp, a, true)
  eq(d:record_get(a).helpdesk, true, "helpdesk ordered")
  has(fails("helpdesk flag", d.account_set_helpdesk, d, asp, a, 1),
      "boolean expected", "ordered is a boolean")
  d:station_order(asp, f.site, "standard", 2)
  local bought, used = d:station_counts(asp, f.site, "standard")
  eq(bought .. "/" .. used, "2/0", "stations ordered")
  local u = d:user_create(asp, a, { first_name = "Vi", last_name = "Deo",
                                    email = "vi@acme.example",
                                    licence = "video", site = f.site,
                                    pack = "standard" })
  bought, used = d:station_counts(asp, f.site, "standard")
  eq(bought .. "/" .. used, "2/1", "a station in service")
  local mine = by_item(d:user_choices(asp, 0, u))
  eq(mine.video.current, true, "current licence")
  eq(mine.standard.current, true, "current pack")
  local french = by_item(d:user_choices(asp, 0, u, "fr"))
  ok(french.basic.reasons[1].message ~= mine.basic.reasons[1].message,
     "reasons in French")
  d:station_order(asp, f.site, "basic", 1)
  refused("downgrade", roster.ECONFIRM, "pack.downgrade", nil,
          d.user_update, d, asp, u, { pack = "basic" })
  d:user_update(asp, u, { pack = "basic", confirm_downgrade = true })
  eq(d:user_get(u).pack, "basic", "downgraded once confirmed")
  has(fails("confirm type", d.user_update, d, asp, u,
            { pack = "standard", confirm_downgrade = "yes" }),
      "takes a boolean", "confirm_downgrade is a boolean")
  d:station_disconnect(asp, f.site, "standard", 2)
  bought, used = d:station_counts(asp, f.site, "standard")
  eq(bought .. "/" .. used, "0/0", "disconnected")
  refused("in service", roster.EPOLICY, "station.in_service", nil,
          d.station_disconnect, d, asp, f.site, "basic", 1)
  has(fails("count", d.station_order, d, asp, f.site, "basic", -1),
      "out of range", "negative count")
  local bill = d:billing_summary(asp, a)
  eq(bill.users .. " " .. bill.excluded, "2 0", "billable users")
  local lines = {}
  for _, l in ipairs(bill.lines) do lines[l.kind .. ":" .. l.item] = l.quantity end
  eq(lines["licence:video"], 1, "video billed")
  eq(lines["pack:basic"], 1, "basic billed")
  eq(lines["option:api_communicator"], 0, "option line")
  refused("a user's bill", roster.EDENIED, nil, nil, d.billing_summary, d,
          roster.user(u), a)
  d:close()
end)

test("preview and generated password", function()
  local f = admin_fixture()
  local d, asp, a = f.dir, f.asp, f.a
  d:station_order(asp, f.site, "premium", 1)
  clear(f.events)
  refused("no transaction", roster.EMISUSE, "txn.none", nil, d.preview, d)
  d:begin()
  local u = d:user_create(asp, a, { first_name = "Gen", last_name = "Pass",
                                    email = "gen@acme.example",
                                    site = f.site, pack = "premium",
                                    generate_password = true })
  local pv = d:preview()
  d:rollback()
  eq(#f.events, 0, "a dry run delivers nothing")
  eq(d:find_login("gen@acme.example"), nil, "rolled back")
  eq(types_of(pv.events), "user.created email.welcome", "previewed events")
  local w = pv.events[2]
  eq(w.user, u, "welcome user")
  eq(w.seq, 0, "no number yet")
  eq(w.secret, nil, "no secret in a preview")
  eq(w.withheld.secret and w.withheld.password, true, "both withheld")
  eq(#pv.deltas, 1, "one delta")
  local delta = pv.deltas[1]
  eq(delta.kind .. " " .. delta.record .. " " .. delta.item,
     "pack " .. f.site .. " premium", "the delta's station")
  eq(delta.purchased .. " " .. delta.in_use, "0 1", "one more in service")
  eq(pv.billing[1].user, u, "billing change")
  eq(pv.billing[1].what.billable, true, "billable")
  u = d:user_create(asp, a, { first_name = "Gen", last_name = "Pass",
                              email = "gen@acme.example",
                              generate_password = true })
  local pw
  for _, e in ipairs(f.events) do
    if e.type == "email.welcome" then pw = e.password end
  end
  ok(type(pw) == "string" and #pw > 0, "the generated password")
  eq(d:login("gen@acme.example", pw), u, "it logs in")
  d:close()
end)

test("catalog", function()
  local f = admin_fixture()
  local d, asp, a = f.dir, f.asp, f.a
  d:station_order(asp, f.site, "basic", 1)
  local u = d:user_create(asp, a, { first_name = "Ba", last_name = "Sic",
                                    email = "basic@acme.example",
                                    site = f.site, pack = "basic" })
  local function ids(items)
    local t = {}
    for i, item in ipairs(items) do t[i] = item.id end
    return table.concat(t, ",")
  end
  eq(ids(d:catalog_items("pack")), "premium,standard,basic", "packs")
  eq(d:catalog_items("pack", nil, "fr")[3].name, "Basique", "French name")
  d:set_language("cs")
  eq(d:catalog_items("pack")[3].name, "Základní", "the directory's language")
  local src = debug.getinfo(1, "S").source:match("^@(.*)test_roster%.lua$")
  local default = (src ~= "" and src or "./") .. "../../data/catalog.xml"
  local fh = assert(io.open(default, "rb"))
  local xml = fh:read("a")
  fh:close()
  local smaller = xml:gsub('<pack id="basic">.-</pack>', "")
  local reported = d:set_catalog { xml = smaller }
  eq(list(table.unpack(reported)), list(u), "the user reported")
  eq(ids(d:catalog_items("pack")), "premium,standard", "basic dropped")
  eq(d:user_get(u).pack, "basic", "reported, not changed")
  eq(#d:set_catalog { path = default }, 0, "from a file")
  refused("malformed", roster.EPARSE, "catalog.syntax", nil, d.set_catalog,
          d, { xml = "<catalog" })
  refused("no such file", roster.ESTORAGE, nil, nil, d.set_catalog, d,
          { path = default .. ".missing" })
  has(fails("neither", d.set_catalog, d, {}), "one of them", "xml or path")
  has(fails("kind", d.catalog_items, d, "packs"), "unknown value 'packs'",
      "unknown kind")
  d:begin()
  refused("in a transaction", roster.EMISUSE, "txn.open", nil, d.set_catalog,
          d, { path = default })
  d:rollback()
  d:close()
end)

test("passwords and labels", function()
  local f = fixture()
  local d = f.dir
  refused("short", roster.EINVALID, "password.length", nil,
          d.password_check, d, "short")
  d:password_check("a long enough secret")
  eq(roster.field_label("first_name"), "first name", "English label")
  ok(roster.field_label("first_name", "fr") ~= roster.field_label("first_name"),
     "French label")
  local langs = table.concat(roster.phone_languages(), " ")
  has(langs, "cs-CZ", "phone languages")
  has(fails("unknown field", roster.field_label, "nope"), "unknown field",
      "field_label of nothing")
  d:close()
end)

-- Run --------------------------------------------------------------------

print("roster " .. roster.version() .. " on " .. _VERSION)
local failed = 0
for _, t in ipairs(tests) do
  local good, err = xpcall(t.fn, debug.traceback)
  if good then
    print("ok      " .. t.name)
  else
    failed = failed + 1
    print("FAILED  " .. t.name .. ": " .. tostring(err))
  end
  collectgarbage()
end
remove_stores()
print(string.format("%d passed, %d failed", #tests - failed, failed))
os.exit(failed == 0 and 0 or 1, true) -- closing the state runs every __gc
