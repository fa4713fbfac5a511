-- wrk: every request is a returning customer (already exposed), taken in turn from a
-- pre-assigned pool. Requests are formatted once in init(), so that the load generator, which
-- shares the machine, takes as little CPU from the server as it can.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("STAGELAB_BENCH_TOKEN")
local pool = tonumber(os.getenv("STAGELAB_BENCH_POOL") or "10000")
local requests = {}
function init(args)
  for i = 0, pool - 1 do
    requests[i + 1] = wrk.format(nil, nil, nil, '{"customer_id":"ret-' .. i .. '","stage":"reach"}')
  end
end
local i = 0
function request()
  i = i % pool + 1
  return requests[i]
end
