-- wrk: every request is a returning customer (already exposed), drawn from a pre-assigned pool.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("STAGELAB_BENCH_TOKEN")
local pool = tonumber(os.getenv("STAGELAB_BENCH_POOL") or "10000")
function request()
  return wrk.format(nil, nil, nil, '{"customer_id":"ret-' .. math.random(0, pool - 1) .. '","stage":"reach"}')
end
