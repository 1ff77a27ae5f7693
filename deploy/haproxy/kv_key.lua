-- kv_key.lua: two HAProxy converters that return a request's cache key as the
-- kv-cache node reads it, so that every spelling of a key hashes to the same
-- node: `lua.kv_json_key` on a PUT body (`{"key":K,"value":V}`) and
-- `lua.kv_query_key` on the query string of GET, HEAD and DELETE.
--
-- HAProxy 2.6's `json_query` is not enough: it decodes `\u00e9` to the single
-- byte 0xE9 (not UTF-8), fails on `\u20ac`, on surrogate pairs and on `\/`,
-- and keeps the first of two "key" members where JSON.parse keeps the last.
-- This converter decodes every escape to UTF-8 (a lone surrogate becomes
-- U+FFFD, as the node's TextEncoder writes it) and keeps the last top-level
-- "key" member. It returns nil (no sample; HAProxy then picks a node round
-- robin) when the body is not a JSON object with a string "key": every node
-- answers such a body with the same 400.

local byte, sub, find, char = string.byte, string.sub, string.find, utf8.char

local SIMPLE_ESCAPES = {
  [34] = '"', [92] = "\\", [47] = "/", [98] = "\b",
  [102] = "\f", [110] = "\n", [114] = "\r", [116] = "\t",
}

-- The code unit of the `\uXXXX` escape whose backslash is at i, or nil.
local function code_unit(s, i)
  if sub(s, i, i + 1) ~= "\\u" then return nil end
  local hex = sub(s, i + 2, i + 5)
  if not find(hex, "^%x%x%x%x$") then return nil end
  return tonumber(hex, 16)
end

-- Decodes the JSON string whose opening quote is at i; returns the UTF-8
-- text and the index after the closing quote, or nil if it is malformed.
local function read_string(s, i)
  local parts, n, j = {}, 0, i + 1
  while true do
    local k = find(s, '["\\]', j)
    if not k then return nil end
    if k > j then n = n + 1; parts[n] = sub(s, j, k - 1) end
    if byte(s, k) == 34 then return table.concat(parts), k + 1 end
    local escape = byte(s, k + 1)
    if escape == 117 then -- \uXXXX, maybe a surrogate pair
      local unit = code_unit(s, k)
      if not unit then return nil end
      j = k + 6
      if unit >= 0xD800 and unit <= 0xDBFF then
        local low = code_unit(s, j)
        if low and low >= 0xDC00 and low <= 0xDFFF then
          unit = 0x10000 + (unit - 0xD800) * 0x400 + (low - 0xDC00)
          j = j + 6
        end
      end
      if unit >= 0xD800 and unit <= 0xDFFF then unit = 0xFFFD end
      n = n + 1; parts[n] = char(unit)
    else
      local text = SIMPLE_ESCAPES[escape]
      if not text then return nil end
      n = n + 1; parts[n] = text
      j = k + 2
    end
  end
end

-- Skips the value starting at i (string, number, literal, object or array);
-- returns the index of the ',' or '}' that ends it, or nil.
local function skip_value(s, i)
  local depth = 0
  while true do
    i = find(s, '["{}%[%],]', i)
    if not i then return nil end
    local c = byte(s, i)
    if c == 34 then
      local _, after = read_string(s, i)
      if not after then return nil end
      i = after
    elseif c == 123 or c == 91 then
      depth = depth + 1; i = i + 1
    elseif depth > 0 and (c == 125 or c == 93 or c == 44) then
      if c ~= 44 then depth = depth - 1 end
      i = i + 1
    elseif c == 93 then
      return nil
    else
      return i
    end
  end
end

-- The index of the next non-whitespace character from i, or nil.
local function next_token(s, i)
  return find(s, "[^ \t\r\n]", i)
end

-- The decoded last top-level "key" member of `body` if it is a string,
-- else nil.
local function kv_json_key(body)
  local i = next_token(body, 1)
  if not i or byte(body, i) ~= 123 then return nil end
  i = next_token(body, i + 1)
  if i and byte(body, i) == 125 then return nil end
  local key
  while i do
    if byte(body, i) ~= 34 then return nil end
    local name
    name, i = read_string(body, i)
    if not name then return nil end
    i = next_token(body, i)
    if not i or byte(body, i) ~= 58 then return nil end
    i = next_token(body, i + 1)
    if not i then return nil end
    if name == "key" then
      if byte(body, i) ~= 34 then return nil end
      key, i = read_string(body, i)
      if not key then return nil end
    else
      i = skip_value(body, i)
      if not i then return nil end
    end
    i = next_token(body, i)
    if not i then return nil end
    local c = byte(body, i)
    if c == 125 then return key end
    if c ~= 44 then return nil end
    i = next_token(body, i + 1)
  end
  return nil
end

-- Whether `s` is UTF-8 that decodeURIComponent accepts: shortest forms only,
-- no surrogates, nothing past U+10FFFF.
local function valid_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local c = byte(s, i)
    local len, min
    if c < 0x80 then len, min = 1, 0
    elseif c >= 0xC2 and c <= 0xDF then len, min = 2, 0x80
    elseif c >= 0xE0 and c <= 0xEF then len, min = 3, 0x800
    elseif c >= 0xF0 and c <= 0xF4 then len, min = 4, 0x10000
    else return false end
    local cp = len == 1 and c or (c & (0x7F >> len))
    for k = 1, len - 1 do
      local b = byte(s, i + k)
      if not b or b < 0x80 or b > 0xBF then return false end
      cp = (cp << 6) | (b & 0x3F)
    end
    if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then
      return false
    end
    i = i + len
  end
  return true
end

-- Decodes a query component as Hono does: '+' is a space, and each run of
-- %XX escapes is decoded if it is valid UTF-8, else kept as written.
local function query_decode(s)
  s = s:gsub("%+", " ")
  if not find(s, "%", 1, true) then return s end
  local parts, n, i = {}, 0, 1
  while true do
    local run_start, run_end = find(s, "%%%x%x", i)
    if not run_start then break end
    while find(s, "^%%%x%x", run_end + 1) do run_end = run_end + 3 end
    local run = sub(s, run_start, run_end)
    local bytes = run:gsub("%%(%x%x)", function(hex)
      return string.char(tonumber(hex, 16))
    end)
    n = n + 1; parts[n] = sub(s, i, run_start - 1)
    n = n + 1; parts[n] = valid_utf8(bytes) and bytes or run
    i = run_end + 1
  end
  n = n + 1; parts[n] = sub(s, i)
  return table.concat(parts)
end

-- The decoded value of the first query parameter whose decoded name is
-- "key" ("" when it has no '='), or nil when there is none.
local function kv_query_key(query)
  for param in (query .. "&"):gmatch("([^&]*)&") do
    local equals = find(param, "=", 1, true)
    local name = equals and sub(param, 1, equals - 1) or param
    if name == "key" or query_decode(name) == "key" then
      return equals and query_decode(sub(param, equals + 1)) or ""
    end
  end
  return nil
end

core.register_converters("kv_json_key", kv_json_key)
core.register_converters("kv_query_key", kv_query_key)

-- The Redis REST API's fast path (`deno task cluster` only; see
-- docs/cluster.md): the action `lua.kv_redis_route` sets txn.kv_key, from a
-- `POST /`, `/pipeline` or `/multi-exec` body, to the one key that all its commands use, decoded
-- as the node decodes it, when every command is one the generated table
-- KV_REDIS_RULES (loaded before this file, from routes/redis/commands.ts)
-- marks "single" (its only key is its first argument) or "anywhere" (no
-- key: PING, ECHO, TIME). HAProxy then sends it straight to that key's node.
-- Anything else (several keys, a key that is not a JSON string, a command
-- not in the table, a body it cannot read) leaves it unset, and the request
-- goes to the front, which splits it.

-- Reads the command array whose '[' is at i; returns the index after its
-- ']' and the key so far (nil when it has none yet), or nil to give up.
local function redis_command(body, i, rules, key)
  i = next_token(body, i + 1)
  if not i or byte(body, i) ~= 34 then return nil end
  local name
  name, i = read_string(body, i)
  if not name then return nil end
  local rule = rules[string.lower(name)]
  if not rule then return nil end
  local argn = 0
  i = next_token(body, i)
  while i and byte(body, i) == 44 do
    i = next_token(body, i + 1)
    if not i then return nil end
    argn = argn + 1
    local is_key = argn == 1 and rule == "single"
    if byte(body, i) == 34 then
      local text
      text, i = read_string(body, i)
      if not text then return nil end
      if is_key then
        if key ~= nil and key ~= text then return nil end
        key = text
      end
    else
      if is_key then return nil end
      local after = find(body, "[^%w%.%+%-]", i)
      if not after or after == i then return nil end
      i = after
    end
    i = next_token(body, i)
  end
  if not i or byte(body, i) ~= 93 then return nil end
  return i + 1, key
end

local function kv_redis_key(body)
  local rules = KV_REDIS_RULES
  if not rules then return nil end
  local i = next_token(body, 1)
  if not i or byte(body, i) ~= 91 then return nil end
  local first = next_token(body, i + 1)
  if not first then return nil end
  local key
  if byte(body, first) ~= 91 then
    i, key = redis_command(body, i, rules, nil)
  else
    i = first
    while true do
      if byte(body, i) ~= 91 then return nil end
      i, key = redis_command(body, i, rules, key)
      if not i then return nil end
      i = next_token(body, i)
      if not i then return nil end
      local c = byte(body, i)
      if c == 93 then i = i + 1; break end
      if c ~= 44 then return nil end
      i = next_token(body, i + 1)
      if not i then return nil end
    end
  end
  if not i or next_token(body, i) then return nil end
  return key
end

-- An action, not a converter: a converter's nil would still set the
-- variable (to boolean false), which HAProxy would then hash.
core.register_action("kv_redis_route", { "http-req" }, function(txn)
  local key = kv_redis_key(txn.f:req_body() or "")
  if key then txn:set_var("txn.kv_key", key) end
end)
