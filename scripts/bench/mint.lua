-- wrk script of scripts/bench-tokens' seeding: GETs /t/{slug}/authorize with
-- a logged-in session cookie (first-party client: no consent page) and keeps
-- the code of every 303 Location. Thread N appends its codes to
-- "$BENCH_CODES.N", one per line, oldest first; the shell stops wrk (SIGINT)
-- once enough are written.
--
-- Environment (besides common.lua's): BENCH_CODES, BENCH_COOKIE.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local out

function bench_init(args)
  out = assert(io.open(os.getenv("BENCH_CODES") .. "." .. id, "w"))
  -- wrk ends threads without a callback: write each line as it comes.
  out:setvbuf("line")
end

function accept(status, headers, body)
  if status ~= 303 and status ~= 302 then return false end
  local location = headers["location"] or headers["Location"] or ""
  local code = string.match(location, "[?&]code=([^&]+)")
  if code == nil then return false end
  out:write(code, "\n")
  return true
end
