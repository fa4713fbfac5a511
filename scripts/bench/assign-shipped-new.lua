-- wrk: every request is a new customer at the stage of a shipped experiment, with the attribute
-- its targeting needs: answered from memory (the attributes are stored without the answer waiting).
-- The raw request is assembled from prebuilt parts (cheaper than wrk.format per request), so that
-- the load generator, which shares the machine, takes as little CPU from the server as it can.
local token = os.getenv("STAGELAB_BENCH_TOKEN")
local run = os.getenv("STAGELAB_BENCH_RUN") or "0"
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local head, prefix, n
function init(args)
  head = "POST /api/v1/assignments HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port
    .. "\r\nContent-Type: application/json\r\nAuthorization: Bearer " .. token .. "\r\nContent-Length: "
  prefix = '{"customer_id":"shipped-' .. run .. '-' .. tid .. '-'
  n = 0
end
function request()
  n = n + 1
  local body = prefix .. n .. '","stage":"acquisition","attributes":{"country":"JP"}}'
  return head .. #body .. "\r\n\r\n" .. body
end
