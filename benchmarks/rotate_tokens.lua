-- wrk script: send "Authorization: Bearer <token>" with the tokens of a file (one per line), each in turn.
-- Usage: wrk -s rotate_tokens.lua http://127.0.0.1:PORT/ -- tokens.txt
local requests = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("GET", "/", { ["Authorization"] = "Bearer " .. line })
  end
end

function request()
  i = i % #requests + 1
  return requests[i]
end
