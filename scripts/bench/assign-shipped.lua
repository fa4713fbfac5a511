-- wrk: every request is a returning customer at the stage of a shipped experiment, with the
-- attribute its targeting needs, taken in turn from a pool the script has sent once before the
-- run: answered from memory (the known-customers cache), with no database round trip and no write.
-- Requests are formatted once in init(), so that the load generator, which shares the machine,
-- takes as little CPU from the server as it can.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("STAGELAB_BENCH_TOKEN")
local pool = tonumber(os.getenv("STAGELAB_BENCH_POOL") or "10000")
local requests = {}
function init(args)
  for i = 0, pool - 1 do
    requests[i + 1] = wrk.format(nil, nil, nil,
      '{"customer_id":"shp-' .. i .. '","stage":"acquisition","attributes":{"country":"JP"}}')
  end
end
local i = 0
function request()
  i = i % pool + 1
  return requests[i]
end
