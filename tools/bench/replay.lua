-- replay.lua — wrk script that cycles through a file of prepared requests.
--
--   wrk -t2 -c16 -d20s --latency -s replay.lua http://127.0.0.1:PORT -- REQUESTS [EXPECT]
--
-- REQUESTS has one request per line: METHOD <TAB> PATH [<TAB> JSON BODY].
-- Each thread starts at a different offset so that the threads do not send
-- the same query at the same moment. Counts responses that are not 2xx and,
-- if EXPECT is given, 2xx responses whose body lacks that plain substring
-- (e.g. Groonga's success header "[[0,"). done() prints one line
-- "BENCH_JSON {...}" with throughput, latency percentiles (microseconds)
-- and error counts for tools/bench/bench.py to parse.

local threads = {}
local counter = 0

function setup(thread)
	thread:set("tid", counter)
	counter = counter + 1
	table.insert(threads, thread)
end

local reqs = {}
local idx = 1
non2xx = 0
badbody = 0
local expect = nil

function init(args)
	local path = args[1]
	expect = args[2]
	if expect == "" then expect = nil end
	local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
	for line in f:lines() do
		local method, p, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
		if method then
			local headers = {}
			if body ~= nil and body ~= "" then
				headers["Content-Type"] = "application/json"
			else
				body = nil
			end
			reqs[#reqs + 1] = wrk.format(method, p, headers, body)
		end
	end
	f:close()
	assert(#reqs > 0, "no requests in " .. path)
	local nthreads = counter > 0 and counter or 2
	idx = 1 + math.floor((tonumber(tid) or 0) * #reqs / nthreads) % #reqs
end

function request()
	local r = reqs[idx]
	idx = idx % #reqs + 1
	return r
end

function response(status, headers, body)
	if status < 200 or status > 299 then
		non2xx = non2xx + 1
	elseif expect and (body == nil or not body:find(expect, 1, true)) then
		badbody = badbody + 1
	end
end

function done(summary, latency, requests)
	local n2, bad = 0, 0
	for _, t in ipairs(threads) do
		n2 = n2 + (tonumber(t:get("non2xx")) or 0)
		bad = bad + (tonumber(t:get("badbody")) or 0)
	end
	local e = summary.errors
	io.write(string.format(
		'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
		'"non2xx":%d,"bad_body":%d,' ..
		'"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
		'"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,' ..
		'"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
		summary.requests, summary.duration, summary.bytes, n2, bad,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency.min, latency.mean, latency.stdev, latency.max,
		latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency:percentile(99.9)))
end
