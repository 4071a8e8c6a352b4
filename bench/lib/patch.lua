-- wrk script for bench/run.sh: PATCH existing partners, cycling through the ids of IDS_FILE (one a
-- line) under the URL's collection path.  BODY_FILE: the update body.  The token, when any, comes
-- on wrk's command line (-H "Authorization: Bearer ...").  Any error stops wrk (exit 2): wrk would
-- otherwise go on with its default request, a GET of the URL.
local paths = {}
local ok, err = pcall(function()
  local body_file = os.getenv("BODY_FILE") or error("BODY_FILE not set")
  local ids_file = os.getenv("IDS_FILE") or error("IDS_FILE not set")
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  for line in io.lines(ids_file) do
    if #line > 0 then paths[#paths + 1] = wrk.path .. "/" .. line end
  end
  if #paths == 0 then error("no ids in " .. ids_file) end
  wrk.method = "PATCH"
  wrk.headers["Content-Type"] = "application/json"
end)
if not ok then
  io.stderr:write("patch.lua: " .. tostring(err) .. "\n")
  os.exit(2)
end
local n = 0
request = function()
  n = n % #paths + 1
  return wrk.format(nil, paths[n])
end
