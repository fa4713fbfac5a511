-- wrk: GET /healthz through a script like the assignment cases' (a prebuilt request returned by
-- request()), so that the baseline pays the load generator's per-request cost too: wrk shares
-- the machine's cores with the server, and a script-driven run costs it more CPU than a plain one.
local req
function init(args)
  req = wrk.format("GET", "/healthz")
end
function request()
  return req
end
