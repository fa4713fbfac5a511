-- wrk: POST /api/v1/events with STAGELAB_BENCH_BATCH purchases per request, every id new.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("STAGELAB_BENCH_TOKEN")
local batch = tonumber(os.getenv("STAGELAB_BENCH_BATCH") or "100")
local run = os.getenv("STAGELAB_BENCH_RUN") or "0"
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
function request()
  n = n + 1
  local parts = {}
  for i = 1, batch do
    parts[i] = '{"id":"' .. run .. '-' .. batch .. '-' .. tid .. '-' .. n .. '-' .. i ..
      '","customer_id":"c' .. math.random(1, 100000) ..
      '","type":"purchase","value":12.5,"occurred_at":"2026-11-01T10:00:00Z"}'
  end
  return wrk.format(nil, nil, nil, '{"events":[' .. table.concat(parts, ",") .. ']}')
end
