-- Shared wrk (4.x, LuaJIT) script of scripts/bench-tokens.
--
-- On its own it is the script of the endpoints whose request never changes
-- (client_credentials, userinfo, introspection, JWKS, discovery); the scripts
-- whose requests change (exchange.lua, refresh.lua, mint.lua) load it first
-- with dofile() and add a request() function.
--
-- It counts every answer by status and, separately, the successes: a 2xx
-- whose body holds BENCH_OK (so a 200 {"active":false} from introspection is
-- not a success), or whatever accept() says when a script defines it. done()
-- prints one line, WRK_JSON {...}, that the shell script reads.
--
-- Environment (read in every wrk thread):
--   BENCH_METHOD         GET (default) or POST
--   BENCH_BODY           request body (POST), application/x-www-form-urlencoded
--   BENCH_AUTHORIZATION  Authorization header value (Basic … / Bearer …)
--   BENCH_COOKIE         Cookie header value
--   BENCH_OK             plain text a 2xx body must contain to be a success
local ffi = require("ffi")
pcall(ffi.cdef, [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]])
local ts = ffi.new("bench_timespec")
-- CLOCK_MONOTONIC (1 on Linux), in µs: one clock for every thread.
function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

-- Main state: keep the threads, number them (the global `id` of each thread).
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

-- Thread state.
statuses = {}   -- status -> count
good = 0        -- successes (see above)
starved = 0     -- requests sent without a fresh code / refresh token
exhausted = 0   -- 1 once the thread ran out of codes and stopped
start_us = 0
last_us = 0
local ok_text = os.getenv("BENCH_OK")

function init(args)
  start_us = now_us()
  wrk.method = os.getenv("BENCH_METHOD") or "GET"
  wrk.body = os.getenv("BENCH_BODY")
  if wrk.body then
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  local auth = os.getenv("BENCH_AUTHORIZATION")
  if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
  local cookie = os.getenv("BENCH_COOKIE")
  if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
  if bench_init then bench_init(args) end
end

function response(status, headers, body)
  last_us = now_us()
  statuses[status] = (statuses[status] or 0) + 1
  local ok
  if accept then
    ok = accept(status, headers, body)
  else
    ok = status >= 200 and status < 300
         and (ok_text == nil or string.find(body, ok_text, 1, true) ~= nil)
  end
  if ok then
    good = good + 1
    if on_success then on_success(body) end
  end
end

-- Called by the dynamic scripts when their supply runs out: the thread stops
-- (wrk's clock keeps running, so the shell uses active_us instead).
function give_up()
  exhausted = 1
  wrk.thread:stop()
end

function done(summary, latency, requests)
  local total, ok, hungry, dry = {}, 0, 0, 0
  local first, last = nil, 0
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do total[code] = (total[code] or 0) + n end
    ok = ok + t:get("good")
    hungry = hungry + t:get("starved")
    dry = dry + t:get("exhausted")
    local s, l = t:get("start_us"), t:get("last_us")
    if first == nil or s < first then first = s end
    if l > last then last = l end
  end
  local parts = {}
  for code, n in pairs(total) do table.insert(parts, string.format('"%d": %d', code, n)) end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "active_us": %d, "good": %d, ' ..
    '"starved": %d, "exhausted_threads": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "socket_errors": %d, "timeouts": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, math.max(last - (first or last), 0), ok,
    hungry, dry, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, e.timeout,
    table.concat(parts, ", ")))
end
