-- wrk script: sends the pre-signed fetches written by `mdrs bench fetch --write-requests FILE`,
-- each once (a nonce is good for one request). The threads share the file: thread k of n takes
-- lines k, k+n, k+2n, ... Usage: wrk -t N ... -s deploy/bench/presigned.lua URL -- FILE N
-- A thread that has sent all of its lines sends its last one again: the gateway refuses those
-- (409 nonce_reused), and wrk counts them as non-2xx, so write more lines than a run can send.
local threads_made = 0

function setup(thread)
  thread:set("id", threads_made)
  threads_made = threads_made + 1
end

function init(args)
  local file, threads = args[1], tonumber(args[2])
  requests = {}
  local index = 0
  for line in io.lines(file) do
    if index % threads == id then
      local fields = {}
      for field in string.gmatch(line, "[^\t]+") do fields[#fields + 1] = field end
      local headers = {}
      for i = 2, #fields do
        local name, value = string.match(fields[i], "^([^:]+): (.*)$")
        headers[name] = value
      end
      requests[#requests + 1] = wrk.format("GET", fields[1], headers)
    end
    index = index + 1
  end
  position = 0
end

function request()
  if position < #requests then position = position + 1 end
  return requests[position]
end
