#!/usr/bin/env bash
# check_html_report.sh HTML_FILE
#
# Checks a streamchat-loadtest HTML report in headless Chromium, with the network blocked: the
# inline script must have drawn every chart (body data-rendered="ok", each chart's data-points > 0)
# and the page must load nothing from the network (no http(s):// or protocol-relative src/href/url).
# Exit 0 when every check passes, 1 otherwise (also when Chromium is missing: CI installs it through
# cmake/install-deps.sh), 2 on bad usage.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 HTML_FILE" >&2
  exit 2
fi
html=$1
if [[ ! -f $html ]]; then
  echo "check_html_report: FAIL: no such file: $html" >&2
  exit 1
fi

browser=""
for candidate in "${CHROMIUM:-}" chromium chromium-browser; do
  [[ -n $candidate ]] || continue
  if command -v "$candidate" >/dev/null 2>&1; then
    browser=$(command -v "$candidate")
    break
  fi
done
if [[ -z $browser ]]; then
  echo "check_html_report: FAIL: Chromium not found (tried \$CHROMIUM, chromium, chromium-browser);" \
       "install it with cmake/install-deps.sh or set CHROMIUM to its path" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/check-html-report.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
pass() { echo "  ok:   $*"; }
fail() { echo "  FAIL: $*"; failures=$((failures + 1)); }

echo "check_html_report: $html"
echo "  browser: $browser"

# Static check of the file as written: the page must not pull anything from the network. Only
# attributes inside a tag count: a URL in the report's text (escaped as &lt;... in the tables and
# \u003c... in the embedded JSON) is data, not a reference.
remote='<[[:alpha:]][^<>]*[[:space:]](src|href|action|poster|srcset)[[:space:]]*=[[:space:]]*["'\'']?[[:space:]]*(https?:)?//'
remote_css='(url\([[:space:]]*["'\'']?[[:space:]]*(https?:)?//|@import)'
if grep -qiE "$remote" "$html"; then
  fail "file references a remote resource (src/href):"
  grep -oiE "${remote}[^\"' >]*" "$html" | head -5 | cut -c1-200 | sed 's/^/          /'
else
  pass "file has no src=/href= pointing at http://, https:// or //"
fi
if sed -n '/<style/,/<\/style>/p' "$html" | grep -qiE "$remote_css"; then
  fail "file's <style> loads a remote resource (url(...) or @import)"
else
  pass "file's <style> has no remote url(...) or @import"
fi

# Render with every network path closed: all proxied traffic goes to a dead port, loopback included
# ("<-loopback>" removes Chromium's implicit bypass), and the background services are off.
# file:// URL of the page, percent-encoded byte by byte (a '#', '?' or space in a build path).
file_url() {
  local LC_ALL=C path out="" c i
  path=$(realpath "$1")
  for ((i = 0; i < ${#path}; i++)); do
    c=${path:i:1}
    case $c in
      [A-Za-z0-9/._~-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c"; out+=$c ;;
    esac
  done
  printf 'file://%s' "$out"
}
url=$(file_url "$html")
dom=$work/dom.html
set +e
timeout 60 "$browser" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
  --user-data-dir="$work/profile" --no-first-run --no-default-browser-check \
  --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>' \
  --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
  --disable-default-apps --metrics-recording-only --mute-audio \
  --dump-dom "$url" >"$dom" 2>"$work/stderr"
status=$?
set -e
if [[ $status -ne 0 || ! -s $dom ]]; then
  fail "chromium exited with $status (124: the 60 s timeout) and dumped $(wc -c <"$dom") bytes; its stderr:"
  tail -20 "$work/stderr" | sed 's/^/          /'
  echo "check_html_report: FAIL ($failures check(s))"
  exit 1
fi
pass "rendered headless ($(wc -c <"$dom") bytes of DOM)"

# The script sets data-rendered on <body> when it is done: "ok", or "error: ..." with the reason.
body_tag=$(grep -oE '<body[^>]*>' "$dom" | head -1 || true)
rendered=$(sed -nE 's/.*data-rendered="([^"]*)".*/\1/p' <<<"$body_tag")
if [[ $rendered == ok ]]; then
  pass "body data-rendered=\"ok\""
else
  fail "body data-rendered=\"${rendered:-<not set: the script did not finish>}\""
fi

for chart in latency throughput connections histogram; do
  tag=$(grep -oE "<svg[^>]*data-chart=\"$chart\"[^>]*>" "$dom" | head -1 || true)
  if [[ -z $tag ]]; then
    fail "chart $chart: no <svg data-chart=\"$chart\">"
    continue
  fi
  points=$(sed -nE 's/.*data-points="([0-9]+)".*/\1/p' <<<"$tag")
  if [[ -n $points && $points -gt 0 ]]; then
    pass "chart $chart: data-points=$points"
  else
    fail "chart $chart: data-points=\"${points:-<not set>}\" (nothing drawn)"
  fi
done

# What the script drew: no NaN or Infinity in any attribute (a coordinate computed from a
# missing figure), and no remote resource added at run time.
if grep -qE '="[^"]*(NaN|Infinity)[^"]*"' "$dom"; then
  fail "rendered DOM has NaN or Infinity in an attribute:"
  grep -oE '[a-z-]+="[^"]*(NaN|Infinity)[^"]*"' "$dom" | head -5 | sed 's/^/          /'
else
  pass "rendered DOM has no NaN or Infinity in attributes"
fi
if grep -qiE "$remote" "$dom"; then
  fail "rendered DOM references a remote resource (src/href)"
else
  pass "rendered DOM has no src=/href= pointing at http://, https:// or //"
fi

if [[ $failures -ne 0 ]]; then
  echo "check_html_report: FAIL ($failures check(s))"
  exit 1
fi
echo "check_html_report: PASS"
