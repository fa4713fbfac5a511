-- wrk: every request is a new customer (a first exposure).
-- Requests are formatted in init(), before the clock starts (enough for about 60,000 requests per
-- second per thread for the run; past that they are built on the fly), so that the load generator,
-- which shares the machine, takes as little CPU from the server as it can.
local token = os.getenv("STAGELAB_BENCH_TOKEN")
local run = os.getenv("STAGELAB_BENCH_RUN") or "0"
local seconds = tonumber(os.getenv("STAGELAB_BENCH_SECONDS") or "10")
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local head, prefix, ready, n
local function build(i)
  local body = prefix .. i .. '","stage":"reach"}'
  return head .. #body .. "\r\n\r\n" .. body
end
function init(args)
  head = "POST /api/v1/assignments HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port
    .. "\r\nContent-Type: application/json\r\nAuthorization: Bearer " .. token .. "\r\nContent-Length: "
  prefix = '{"customer_id":"new-' .. run .. '-' .. tid .. '-'
  ready = {}
  for i = 1, 60000 * seconds do
    ready[i] = build(i)
  end
  n = 0
end
function request()
  n = n + 1
  return ready[n] or build(n)
end
