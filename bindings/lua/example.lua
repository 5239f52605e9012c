-- example.lua: a short tour of the Lua module.
--
--   LUA_CPATH="build/bindings/lua/?.so" lua5.4 bindings/lua/example.lua
--
-- A portal keeps its directory in a file store, carries out the events
-- (here: prints them) and acknowledges them once done.
local roster = require "roster"

local base = os.tmpname()
local path = base .. ".store"

local function on_event(e)
  print(string.format("  event #%d %s%s%s", e.seq, e.type,
                      e.email and (" to " .. e.email) or "",
                      e.secret and " (with a link token)" or ""))
end

do
  local dir <close> = roster.open { path = path, on_event = on_event }
  local p = dir:partner_create(roster.SYSTEM, "Reseller")
  local as_partner = roster.partner(p)
  local account = dir:account_create(as_partner, p, "Acme")
  local pbx = dir:pbx_create(as_partner, account, "Acme PBX", 3, 4)

  print("The partner creates the first admin and a user on the PBX:")
  local admin = dir:user_create(as_partner, account, {
    first_name = "Ada", last_name = "Lovelace", email = "ada@acme.example",
    admin = true })
  dir:user_create(roster.user(admin), account, {
    first_name = "Marie", last_name = "Dvořáková",
    email = "marie@acme.example", pbx = pbx, extension = "201" })

  print("Refusals carry a code, a rule, a field and a message:")
  local ok, err = pcall(dir.user_create, dir, roster.user(admin), account, {
    first_name = "Jean", last_name = "Dupont", email = "MARIE@acme.example" })
  assert(not ok and err.rule == "email.unique")
  print("  " .. tostring(err))

  print("A transaction is all or nothing:")
  ok, err = pcall(dir.transaction, dir, function(d)
    d:user_create(roster.user(admin), account, {
      first_name = "Tom", last_name = "Novák", email = "tom@acme.example" })
    d:user_delete(roster.user(admin), admin) -- refused: rolls back Tom too
  end)
  print("  " .. tostring(err))
  print("  tom exists: " .. tostring(dir:find_login("tom@acme.example") ~= nil))
end

print("After a restart, the events not yet acknowledged come back:")
do
  local first, last
  local dir <close> = roster.open {
    path = path,
    on_event = function(e)
      first, last = first or e.seq, e.seq
      on_event(e)
    end }
  local n = dir:outbox_replay()
  print(string.format("  %d replayed; acknowledged: %d", n,
                      dir:outbox_ack(first, last)))
  assert(dir:outbox_replay() == 0)
end

os.remove(base)
for _, suffix in ipairs { "", ".lock" } do os.remove(path .. suffix) end
