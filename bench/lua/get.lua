-- One path (GET, or POST with an empty JSON object), each request as the next member of the
-- pool. args: tokens-file path method thread-count
dofile("bench/lua/common.lua")

function init(args)
  tokens = read_lines(args[1])
  path = args[2]
  method = args[3]
  nextp = tid
  step = tonumber(args[4])
end

function request()
  local m = nextp % #tokens
  nextp = nextp + step
  local headers = { ["Authorization"] = "Bearer " .. tokens[m + 1] }
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", path, headers, "{}")
  end
  return wrk.format("GET", path, headers)
end
