-- 50% PUT / 50% GET over 10,000 keys, values of 100 bytes
local counter = 0
request = function()
  counter = counter + 1
  local key = "k" .. math.random(1, 10000)
  if counter % 2 == 0 then
    return wrk.format("POST", "/put", {["Content-Type"] = "application/json"},
      '{"key":"' .. key .. '","value":"' .. string.rep("v", 100) .. '"}')
  end
  return wrk.format("GET", "/get?key=" .. key)
end
