-- One wrk script for every scenario; bench/wrk.py sets it up through the environment:
--   BENCH_METHOD, BENCH_PATH     the request line
--   BENCH_HEADERS                "Name: value" lines
--   BENCH_BODY                   a JSON body (sent with Content-Type: application/json)
--   BENCH_POOL                   a file of one-use values (refresh tokens), one per line: each
--                                request replaces __POOL__ in the body with the next one, and a
--                                "refresh_token" found in a response goes back into the pool, so
--                                each connection follows its own rotation chain
--   BENCH_THREADS                wrk's -t, so that each thread takes its own share of the pool
--   BENCH_COUNT_STATUSES         "1": count responses per status code (costs a body parse)
--   BENCH_GRAPHQL                "1": count the responses whose body carries "errors" (GraphQL
--                                answers its errors with HTTP 200)
-- done() prints one line "BENCH_JSON {...}" with the counts and latency percentiles (in µs).

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
local headers_text = os.getenv("BENCH_HEADERS") or ""
local pool_file = os.getenv("BENCH_POOL")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local count_statuses = os.getenv("BENCH_COUNT_STATUSES") == "1"
local graphql = os.getenv("BENCH_GRAPHQL") == "1"

wrk.method = method
wrk.path = path
for name, value in string.gmatch(headers_text, "([^:\n]+):[ ]*([^\n]*)") do
  wrk.headers[name] = value
end
if body ~= nil and #body > 0 then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

-- per-thread state (each wrk thread has its own Lua state); done() collects it
statuses = {}
pool_empty = 0
graphql_errors = 0
local pool = {}

-- main state: remember the threads, number them
local threads = {}
function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  if pool_file == nil then
    return
  end
  local index = 0
  for line in io.lines(pool_file) do
    if #line > 0 then
      if index % thread_count == (thread_id or 0) then
        table.insert(pool, line)
      end
      index = index + 1
    end
  end
end

if pool_file ~= nil then
  request = function()
    local value = table.remove(pool)
    if value == nil then
      pool_empty = pool_empty + 1
      value = "pool-empty"
    end
    local filled = string.gsub(body, "__POOL__", function() return value end)
    return wrk.format(nil, nil, nil, filled)
  end
end

if pool_file ~= nil or count_statuses or graphql then
  response = function(status, headers, response_body)
    statuses[status] = (statuses[status] or 0) + 1
    if graphql and response_body ~= nil and string.find(response_body, '"errors"', 1, true) then
      graphql_errors = graphql_errors + 1
    end
    if pool_file ~= nil and response_body ~= nil then
      local successor = string.match(response_body, '"refresh_token":"([^"]+)"')
      if successor ~= nil then
        table.insert(pool, successor)
      end
    end
  end
end

function done(summary, latency, requests)
  local merged = {}
  local empty = 0
  local gql_errors = 0
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses")
    if counted ~= nil then
      for code, n in pairs(counted) do
        merged[code] = (merged[code] or 0) + n
      end
    end
    empty = empty + (thread:get("pool_empty") or 0)
    gql_errors = gql_errors + (thread:get("graphql_errors") or 0)
  end
  local parts = {}
  for code, n in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', code, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"mean":%.1f,"max":%d},'
      .. '"statuses":{%s},"pool_empty":%d,"graphql_errors":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max,
    table.concat(parts, ","), empty, gql_errors
  ))
end
