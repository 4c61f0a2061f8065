-- Write mix: 80 % votes (up, or taking the vote back), 20 % answers, by
-- several members with bearer tokens, on random questions.
-- TOKENS (comma-separated) and MAX_ID come from the environment.
local tokens = {}
for t in string.gmatch(os.getenv("TOKENS") or "", "[^,]+") do tokens[#tokens + 1] = t end
local max_id = tonumber(os.getenv("MAX_ID") or "1000")
local qids = {}
for q in string.gmatch(os.getenv("QIDS") or "", "[^,]+") do qids[#qids + 1] = q end
local counter = 0
math.randomseed(os.time())

request = function()
  counter = counter + 1
  local tok = tokens[math.random(#tokens)]
  local id = math.random(40, max_id)
  local headers = { ["Authorization"] = "Bearer " .. tok, ["Content-Type"] = "application/json" }
  if counter % 5 == 0 then
    return wrk.format("POST", "/api/v1/questions/" .. qids[math.random(#qids)] .. "/answers", headers,
      '{"body":"A benchmark answer that is long enough to pass validation."}')
  end
  local value = (math.random() < 0.7) and "up" or "none"
  return wrk.format("PUT", "/api/v1/posts/" .. id .. "/vote", headers, '{"value":"' .. value .. '"}')
end
