-- wrk script: POST one form body per request from a file, each line used once (a fresh
-- ID-JAG per request, as the AS refuses replays). Arguments: FILE FIRST COUNT (lines
-- FIRST .. FIRST+COUNT-1). Past the last line the thread stops, so a run is bounded by
-- count as well as by wrk's duration.
local bodies, next_index = {}, 1

function init(args)
  local first, count = tonumber(args[2]), tonumber(args[3])
  local i = 0
  for line in io.lines(args[1]) do
    if i >= first + count then break end
    if i >= first then bodies[#bodies + 1] = line end
    i = i + 1
  end
end

function request()
  local body = bodies[next_index]
  if body == nil then
    wrk.thread:stop()
    body = bodies[1]
  end
  next_index = next_index + 1
  return wrk.format("POST", nil,
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
