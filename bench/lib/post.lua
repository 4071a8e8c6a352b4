-- wrk script for bench/run.sh: every request creates a complianceManagementPartner.
-- BODY_FILE: the create body (bench/lib/gen-data.mjs's post-body.json).  The token, when any,
-- comes on wrk's command line (-H "Authorization: Bearer ...").  Any error stops wrk (exit 2):
-- wrk would otherwise go on with its default request, a GET of the URL.
local ok, err = pcall(function()
  local body_file = os.getenv("BODY_FILE") or error("BODY_FILE not set")
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end)
if not ok then
  io.stderr:write("post.lua: " .. tostring(err) .. "\n")
  os.exit(2)
end
