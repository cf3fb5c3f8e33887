-- wrk script of the hosted login of scripts/bench-scale: POST /login with
-- the form of common.lua's BENCH_BODY and the CSRF cookie of BENCH_COOKIE;
-- a success is the 303 that opens a session.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function accept(status, headers, body)
  return status == 303
end
