-- test_oom.lua: run by oom_host.c. Lua running out of memory inside an
-- export's write function or an import's read function fails that
-- export or import, and leaves the directory as usable as any other
-- failure does: it can be called, and closed.
local roster = require "roster"

local d = roster.open{}
local p = d:partner_create(roster.SYSTEM, "Reseller")
local P = roster.partner(p)
local a = d:account_create(P, p, "Acme")
local rows = { "first_name,last_name,email" }
for i = 1, 300 do
  rows[#rows + 1] = ("Jana%d,Nováková%d,j%d@acme.example"):format(i, i, i)
end
local rep = d:import(P, a, { data = table.concat(rows, "\n") .. "\n" })
assert(rep.created == 300, "imported")
local u = d:find_login("j1@acme.example")

local function usable(what)
  local ok, err = pcall(d.user_get, d, u)
  assert(ok, what .. ": the directory is left unusable: " .. tostring(err))
end

-- an export: Lua's allocations fail from the n-th after the first piece
-- (the next piece's string, the function's own work)
local failed, done = 0, false
for n = 1, 60 do
  local pieces = 0
  local ok = pcall(d.export, d, P, a, "csv", function()
    pieces = pieces + 1
    if pieces == 1 then arm(n) end
  end)
  arm(0)
  usable("export, allocation " .. n)
  if ok then done = true else failed = failed + 1 end
end
assert(failed > 0, "the memory errors were reached")

-- an import whose read function returns what is refused, the message
-- made while Lua's allocations fail
for n = 1, 20 do
  local ok = pcall(d.import, d, P, a, { read = function()
    arm(n)
    return 42
  end })
  arm(0)
  assert(not ok, "a read function returning a number is refused")
  usable("import, allocation " .. n)
end

d:close()
print("ok", failed, done)
