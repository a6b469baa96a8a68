-- wrk script for scripts/bench_flow.sh (issue 14): whole authorization-code flows.
--
--   wrk -t1 -c32 -d10s -s scripts/flow.lua <base URL> -- \
--     <authorize path?query> <token path> <basic credentials, base64> <cookie file> \
--     <redirect_uri, form-encoded> <PKCE code_verifier>
--
-- One flow = GET the authorization endpoint with a person's session cookie
-- (consent remembered) answered by a redirect carrying a code, then POST the token
-- endpoint (client_secret_basic, the code, redirect_uri, code_verifier) answered 200
-- with tokens. Every connection asks for a token whenever a code is waiting in the
-- queue, and for a new code otherwise. The cookie file has one Cookie header value a
-- line (one per signed-in person), taken in turn by the authorization requests. One
-- PKCE pair for every request: each code is new, and bound to the same challenge.
--
-- wrk's own counts mix both requests (and its non-2xx count would count the
-- redirects), so this script counts for itself, per thread: `done` prints
--   flows <token 200s> <seconds>
--   sent <authorize requests> <token requests>
--   errors <n> <first error seen>
-- An error is any authorize answer other than a redirect with a code (a redirect
-- with `error=` included) and any token answer other than a 200 with an access token.

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

-- Per thread (its own Lua state), read back by `done` with thread:get.
flows, authorizes, tokens, errors, first_error = 0, 0, 0, 0, ""

local queue, head, tail = {}, 1, 0 -- codes waiting for their token request
local authorize_requests, turn = {}, 0 -- one ready-made authorization request per person
local token_path, token_headers, token_tail

function init(args)
  local authorize, basic, cookies, redirect_uri, verifier
  authorize, token_path, basic, cookies, redirect_uri, verifier = args[1], args[2], args[3], args[4], args[5], args[6]
  for cookie in io.lines(cookies) do
    authorize_requests[#authorize_requests + 1] = wrk.format("GET", authorize, { ["Cookie"] = cookie })
  end
  assert(#authorize_requests > 0, "no session cookie in " .. cookies)
  token_headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic " .. basic,
  }
  token_tail = "&redirect_uri=" .. redirect_uri .. "&code_verifier=" .. verifier
end

function request()
  if head <= tail then
    local code = queue[head]
    queue[head] = nil
    head = head + 1
    tokens = tokens + 1
    return wrk.format("POST", token_path, token_headers,
      "grant_type=authorization_code&code=" .. code .. token_tail)
  end
  authorizes = authorizes + 1
  turn = turn % #authorize_requests + 1
  return authorize_requests[turn]
end

local function failed(what)
  errors = errors + 1
  if first_error == "" then first_error = what end
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"]
  if location then -- the authorization endpoint's answer
    local code = location:match("[?&]code=([^&#]+)")
    if status >= 300 and status < 400 and code and not location:match("[?&]error=") then
      tail = tail + 1
      queue[tail] = code
    else
      failed("authorize " .. status .. " " .. location:sub(1, 200))
    end
  elseif status == 200 and body:find('"access_token"', 1, true) then
    flows = flows + 1
  else
    failed(status .. " " .. body:sub(1, 200):gsub("%s+", " "))
  end
end

function done(summary, latency, requests)
  local f, a, t, e, first = 0, 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    f = f + thread:get("flows")
    a = a + thread:get("authorizes")
    t = t + thread:get("tokens")
    e = e + thread:get("errors")
    if first == "" then first = thread:get("first_error") end
  end
  io.write(string.format("flows %d %.3f\n", f, summary.duration / 1e6))
  io.write(string.format("sent %d %d\n", a, t))
  io.write(string.format("errors %d %s\n", e, first))
end
