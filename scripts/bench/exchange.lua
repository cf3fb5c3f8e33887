-- wrk script of the authorization_code endpoint of scripts/bench-tokens: each
-- request exchanges a fresh authorization code minted before the run.
--
-- Environment (besides common.lua's):
--   BENCH_CODES       prefix of the code files; thread N reads "$BENCH_CODES.N",
--                     one code per line, oldest first (codes live 60 s)
--   BENCH_BODY        the form without the code; "&code=<code>" is appended
-- When a thread has used its last code it stops (give_up): the shell then
-- divides by the time the threads were active, not by wrk's duration.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local codes, next_code = {}, 1
local form

function bench_init(args)
  form = wrk.body
  local file = io.open(os.getenv("BENCH_CODES") .. "." .. id, "r")
  if file then
    for line in file:lines() do
      if line ~= "" then codes[#codes + 1] = line end
    end
    file:close()
  end
end

function request()
  local code = codes[next_code]
  if code == nil then
    starved = starved + 1
    give_up()
    code = "none-left"
  end
  next_code = next_code + 1
  return wrk.format(nil, nil, nil, form .. "&code=" .. code)
end
