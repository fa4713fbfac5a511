-- wrk: every request is a new customer (a first exposure).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("STAGELAB_BENCH_TOKEN")
local run = os.getenv("STAGELAB_BENCH_RUN") or "0"
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"customer_id":"new-' .. run .. '-' .. tid .. '-' .. n .. '","stage":"reach"}')
end
