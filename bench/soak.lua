-- A console-and-API mix for bench/soak.sh: ping, list, create, and two
-- console pages with the owner's session. LK_KEY and LK_COOKIE come from the script.
local api = { ["Authorization"] = "Bearer " .. os.getenv("LK_KEY"), ["Content-Type"] = "application/json" }
local page = { ["Cookie"] = os.getenv("LK_COOKIE") }
local n = 0

request = function()
  n = n + 1
  local k = n % 10
  if k < 4 then
    return wrk.format("GET", "/api/v1/ping", api)
  elseif k < 6 then
    return wrk.format("GET", "/api/v1/orders?limit=10", api)
  elseif k < 7 then
    return wrk.format("POST", "/api/v1/orders", api, '{"customer_email":"soak@example.com","total_cents":1200}')
  elseif k < 9 then
    return wrk.format("GET", "/orgs/bench/settings/api-keys", page)
  else
    return wrk.format("GET", "/orgs/bench", page)
  end
end
