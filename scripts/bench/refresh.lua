-- wrk script of the refresh_token endpoint of scripts/bench-tokens: a chain
-- of rotations. Each thread keeps a queue of live refresh tokens, seeded from
-- a file; a request takes the oldest, and every successful answer puts its
-- new refresh token at the back. A token is never sent twice (a reuse would
-- revoke its family), and the queue holds more tokens than the thread has
-- connections, so none waits for a token.
--
-- Environment (besides common.lua's):
--   BENCH_REFRESH     prefix of the seed files; thread N reads "$BENCH_REFRESH.N"
--   BENCH_BODY        the form without the token; "&refresh_token=<t>" is appended
-- A request with an empty queue (every token lost to an error) is sent with an
-- invalid token, counted in "starved", and is answered 400.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local queue, head, tail = {}, 1, 0
local form

function bench_init(args)
  form = wrk.body
  local file = io.open(os.getenv("BENCH_REFRESH") .. "." .. id, "r")
  if file then
    for line in file:lines() do
      if line ~= "" then tail = tail + 1; queue[tail] = line end
    end
    file:close()
  end
end

function request()
  local token
  if head <= tail then
    token = queue[head]
    queue[head] = nil
    head = head + 1
  else
    starved = starved + 1
    token = "queue-empty"
  end
  return wrk.format(nil, nil, nil, form .. "&refresh_token=" .. token)
end

function on_success(body)
  local token = string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
  if token then
    tail = tail + 1
    queue[tail] = token
  end
end
