-- Every request a new valid check-in. Request number p goes to member p mod M at that member's
-- k-th site (k = p div M), so one member's check-ins are M requests apart, at neighbouring
-- sites (bench.py lays the sites out in a snake, 3 km apart), captured a minute apart: plausible
-- travel, accepted and paid. args: tokens-file sites-file base-epoch first-p thread-count
dofile("bench/lua/common.lua")

function init(args)
  tokens = read_lines(args[1])
  sites = {}
  for _, line in ipairs(read_lines(args[2])) do
    local id, lat, lng = line:match("(%d+) (%S+) (%S+)")
    sites[#sites + 1] = { id = id, lat = lat, lng = lng }
  end
  base = tonumber(args[3])
  nextp = tonumber(args[4]) + tid
  step = tonumber(args[5])
end

function request()
  local p = nextp
  nextp = nextp + step
  local m = p % #tokens
  local k = math.floor(p / #tokens)
  local s = sites[(k % #sites) + 1]
  local body = string.format(
    '{"site_id":%s,"lat":%s,"lng":%s,"accuracy_m":12.5,"captured_at":"%s"}',
    s.id, s.lat, s.lng, os.date("!%Y-%m-%dT%H:%M:%SZ", base + k * 60))
  return wrk.format("POST", "/api/v1/checkins", {
    ["Authorization"] = "Bearer " .. tokens[m + 1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. p,
  }, body)
end
