-- GET one path, each request as the next member of the pool. args: tokens-file path thread-count
dofile("bench/lua/common.lua")

function init(args)
  tokens = read_lines(args[1])
  path = args[2]
  nextp = tid
  step = tonumber(args[3])
end

function request()
  local m = nextp % #tokens
  nextp = nextp + step
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[m + 1] })
end
