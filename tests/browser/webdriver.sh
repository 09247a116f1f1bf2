# shellcheck shell=bash
# webdriver.sh — a small W3C WebDriver client in bash (curl + jq) for the
# browser tests: Debian's chromedriver drives Debian's headless Chromium.
# Source it after tests/lib.sh (it uses free_port). One browser, one
# session, one window per test file.
#
#   wd_start DIR            chromedriver on a free port and a session (profile
#                           and logs under DIR); returns non-zero on failure
#   wd_stop                 ends the session, chromedriver and its browser
#   wd_get URL              opens URL and waits for the page's load event
#   wd_js BODY [ARGS-JSON]  runs BODY as a function's body (use `return`;
#                           arguments[0]… from the JSON array); prints the
#                           value as compact JSON
#   wd_wait SECS EXPR       retries the JavaScript expression EXPR every 0.1 s
#                           until it is truthy; returns 1 after SECS. EXPR
#                           may use text(CSS) (innerText, '' if none) and
#                           shown(CSS) (rendered, not hidden)
#   wd_text CSS             the innerText of the first match ('' if none)
#   wd_click CSS            a real mouse click on the first match
#   wd_type CSS TEXT        clears the field, then types TEXT into it
#   wd_keys KEY...          key presses on the focused element through the
#                           Actions API: Tab, Enter, Space, or literal text
#   wd_viewport W H         resizes the window so that the viewport is W×H
#   wd_screenshot FILE      the viewport as PNG
WD_PID='' WD_URL='' WD_SESSION=''
WD_ELEMENT=element-6066-11e4-a52e-4f735466cecf
WD_PRELUDE='const text = (c) => { const e = document.querySelector(c); return e ? e.innerText.trim() : ""; };
const shown = (c) => { const e = document.querySelector(c); return !!e && e.getClientRects().length > 0; };'


# wd_cmd METHOD PATH [JSON]: one WebDriver command on the session; prints
# .value; returns 1 on an error answer (the message goes to stderr).
wd_cmd() {
  local out
  out=$(curl -s -S --max-time 30 -X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} \
    "$WD_URL/session/$WD_SESSION$2") || return 1
  if jq -e '.value | type == "object" and has("error")' <<< "$out" > /dev/null 2>&1; then
    jq -r '"webdriver: \(.value.error): \(.value.message | split("\n")[0])"' <<< "$out" >&2
    return 1
  fi
  jq -c '.value' <<< "$out"
}

wd_start() {
  local dir=$1 port i caps
  mkdir -p "$dir"
  port=$(free_port)
  # setsid: chromedriver leads its own process group, with the browser in
  # it, so that wd_stop ends them all and nothing else.
  setsid chromedriver --port="$port" --log-path="$dir/chromedriver.log" > "$dir/chromedriver.out" 2>&1 &
  WD_PID=$!
  WD_URL=http://127.0.0.1:$port
  for ((i = 0; i < 100; i++)); do
    curl -s --max-time 1 "$WD_URL/status" | jq -e '.value.ready' > /dev/null 2>&1 && break
    sleep 0.1
  done
  # Without the background-networking flags Chromium waits on hosts it
  # cannot reach on a closed network.
  caps=$(jq -nc --arg profile "$dir/profile" '{capabilities: {alwaysMatch: {
    browserName: "chrome", pageLoadStrategy: "normal",
    timeouts: {pageLoad: 15000, script: 10000, implicit: 0},
    "goog:chromeOptions": {binary: "/usr/bin/chromium", args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-dev-shm-usage", "--window-size=800,600", "--user-data-dir=\($profile)"]}}}}')
  WD_SESSION=$(curl -s -S --max-time 60 -X POST -H 'Content-Type: application/json' --data "$caps" "$WD_URL/session" \
    | jq -r '.value.sessionId // empty')
  [ -n "$WD_SESSION" ]
}

wd_stop() {
  [ -n "$WD_PID" ] || return 0
  [ -n "$WD_SESSION" ] && curl -s --max-time 10 -X DELETE "$WD_URL/session/$WD_SESSION" > /dev/null 2>&1
  local i
  if [ "$(ps -o pgid= -p "$WD_PID" 2>/dev/null | tr -d ' ')" = "$WD_PID" ]; then
    kill -TERM -- "-$WD_PID" 2>/dev/null
    for ((i = 0; i < 30; i++)); do kill -0 -- "-$WD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$WD_PID" 2>/dev/null
  else
    kill -TERM "$WD_PID" 2>/dev/null
  fi
  wait "$WD_PID" 2>/dev/null
  WD_PID='' WD_SESSION=''
}

wd_get() { wd_cmd POST /url "$(jq -nc --arg u "$1" '{url: $u}')" > /dev/null; }

wd_js() {
  wd_cmd POST /execute/sync "$(jq -nc --arg s "$1" --argjson a "${2:-[]}" '{script: $s, args: $a}')"
}

wd_wait() {
  local secs=$1 expr=$2 end
  end=$(($(date +%s%N) + secs * 1000000000))
  while :; do
    [ "$(wd_js "$WD_PRELUDE return !!($expr);" 2> /dev/null)" = true ] && return 0
    [ "$(date +%s%N)" -lt "$end" ] || return 1
    sleep 0.1
  done
}

wd_text() {
  wd_js 'const e = document.querySelector(arguments[0]); return e ? e.innerText : "";' \
    "$(jq -nc --arg c "$1" '[$c]')" | jq -r .
}

wd_find() {
  wd_cmd POST /element "$(jq -nc --arg c "$1" '{using: "css selector", value: $c}')" | jq -r ".[\"$WD_ELEMENT\"]"
}

wd_click() {
  local id
  id=$(wd_find "$1") && [ -n "$id" ] && wd_cmd POST "/element/$id/click" '{}' > /dev/null
}

wd_type() {
  local id
  id=$(wd_find "$1") && [ -n "$id" ] || return 1
  wd_cmd POST "/element/$id/clear" '{}' > /dev/null &&
    wd_cmd POST "/element/$id/value" "$(jq -nc --arg t "$2" '{text: $t}')" > /dev/null
}

wd_keys() {
  local k actions='[]'
  for k in "$@"; do
    actions=$(jq -c --arg k "$k" '. + ({Tab: ["\ue004"], Enter: ["\ue007"], Space: [" "]}[$k] // ($k | split(""))
      | map({type: "keyDown", value: .}, {type: "keyUp", value: .}))' <<< "$actions")
  done
  wd_cmd POST /actions "$(jq -nc --argjson a "$actions" '{actions: [{type: "key", id: "keyboard", actions: $a}]}')" > /dev/null
}

wd_viewport() {
  local got dw dh
  wd_cmd POST /window/rect "$(jq -nc --argjson w "$1" --argjson h "$2" '{width: $w, height: $h}')" > /dev/null || return 1
  got=$(wd_js 'return [window.innerWidth, window.innerHeight];') || return 1
  dw=$(($1 - $(jq '.[0]' <<< "$got"))); dh=$(($2 - $(jq '.[1]' <<< "$got")))
  [ "$dw" = 0 ] && [ "$dh" = 0 ] && return 0
  wd_cmd POST /window/rect "$(jq -nc --argjson w $(($1 + dw)) --argjson h $(($2 + dh)) '{width: $w, height: $h}')" > /dev/null
}

wd_screenshot() { wd_cmd GET /screenshot | jq -r . | base64 -d > "$1"; }
