#!/bin/sh
# Checks a Terraform plan against the organization's infrastructure policies and fails the pipeline step
# on a violation of the chosen severity. POSIX sh, curl and awk only (no jq, no node).
#
#   terraform plan -out=plan.out && terraform show -json plan.out > plan.json
#   GANTRY_URL=https://gantry.example.com GANTRY_API_KEY=... GANTRY_ORG=acme \
#   GANTRY_PROJECT=shop GANTRY_ENV=prod sh check-plan.sh plan.json
#
# GANTRY_FAIL_ON: critical (default), warning (criticals and warnings), advisory (any violation) or none.
# Exit status: 0 the plan may be applied, 1 policies block it, 2 usage, transport or server error.
set -eu

usage() {
  echo "usage: GANTRY_URL=... GANTRY_API_KEY=... GANTRY_ORG=... GANTRY_PROJECT=... GANTRY_ENV=... $0 PLAN.json" >&2
  exit 2
}

[ $# -eq 1 ] || usage
plan=$1
[ -r "$plan" ] || { echo "check-plan: cannot read $plan" >&2; exit 2; }
for name in GANTRY_URL GANTRY_API_KEY GANTRY_ORG GANTRY_PROJECT GANTRY_ENV; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || { echo "check-plan: $name is not set" >&2; usage; }
done
fail_on=${GANTRY_FAIL_ON:-critical}
case $fail_on in critical | warning | advisory | none) ;; *)
  echo "check-plan: GANTRY_FAIL_ON must be critical, warning, advisory or none, got '$fail_on'" >&2
  exit 2
  ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# The API takes the plan as a JSON string: {"tfplan": "<the plan's JSON text>"}. JSON never holds a raw
# newline or tab inside a string, so removing them (whitespace between tokens) and escaping backslashes
# and quotes turns the file into that string, whatever its size.
{
  printf '{"tfplan":"'
  tr -d '\r\n\t' <"$plan" | sed 's/\\/\\\\/g; s/"/\\"/g'
  printf '"}'
} >"$work/body.json"

url="${GANTRY_URL%/}/organizations/$GANTRY_ORG/projects/$GANTRY_PROJECT/environments/$GANTRY_ENV/validate_infra_policies"
status=$(curl -sS -X POST "$url" \
  -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $GANTRY_API_KEY" \
  --data-binary "@$work/body.json" \
  -o "$work/response.json" -w '%{http_code}') || { echo "check-plan: could not reach $GANTRY_URL" >&2; exit 2; }

if [ "$status" != 200 ]; then
  echo "check-plan: the server answered $status:" >&2
  cat "$work/response.json" >&2
  echo >&2
  exit 2
fi

# Prints one line per violated policy (`critical <canonical>: <reason>; <reason>`) and, last, the counts
# (`counts <criticals> <warnings> <advisories>`). The response is compact JSON written by the server:
# keys appear unescaped only as keys, so the groups and items are found by their keys, and reasons are
# read as JSON strings.
report=$(awk '
  function group_text(s, key,    start, rest, cut, i, p) {
    start = index(s, "\"" key "\":[")
    if (start == 0) return ""
    rest = substr(s, start + length(key) + 4)
    cut = length(rest) + 1
    for (i = 1; i <= 3; i++) {
      p = index(rest, "\"" keys[i] "\":[")
      if (p > 0 && p < cut) cut = p
    }
    return substr(rest, 1, cut - 1)
  }
  # The JSON string starting at s[1] (a quote): its text, escapes kept; sets `used` to its length.
  function json_string(s,    i, c, out) {
    out = ""
    for (i = 2; i <= length(s); i++) {
      c = substr(s, i, 1)
      if (c == "\\") { out = out substr(s, i, 2); i++; continue }
      if (c == "\"") { used = i; return out }
      out = out c
    }
    used = length(s)
    return out
  }
  function items(text, severity,    p, item, canonical, reasons, r, count) {
    count = 0
    while ((p = index(text, "{\"infra_policy\":{")) > 0) {
      count++
      text = substr(text, p + 17)
      p = index(text, "\"canonical\":\"")
      canonical = json_string(substr(text, p + 12))
      p = index(text, "\"reasons\":[")
      reasons = ""
      if (p > 0) {
        r = substr(text, p + 11)
        while (substr(r, 1, 1) == "\"") {
          reasons = reasons (reasons == "" ? "" : "; ") json_string(r)
          r = substr(r, used + 1)
          if (substr(r, 1, 1) == ",") r = substr(r, 2)
        }
      }
      print severity " " canonical ": " reasons
    }
    return count
  }
  {
    keys[1] = "criticals"; keys[2] = "warnings"; keys[3] = "advisories"
    c = items(group_text($0, "criticals"), "critical")
    w = items(group_text($0, "warnings"), "warning")
    a = items(group_text($0, "advisories"), "advisory")
    print "counts " c " " w " " a
  }
' "$work/response.json")

printf "%s\n" "$report" | grep -v "^counts " || true
set -- $(printf "%s\n" "$report" | sed -n "s/^counts //p")
criticals=${1:-0} warnings=${2:-0} advisories=${3:-0}
echo "infra policies: $criticals critical, $warnings warning, $advisories advisory violation(s)"

case $fail_on in
  critical) blocking=$criticals ;;
  warning) blocking=$((criticals + warnings)) ;;
  advisory) blocking=$((criticals + warnings + advisories)) ;;
  none) blocking=0 ;;
esac
if [ "$blocking" -gt 0 ]; then
  echo "infra policies: the plan is blocked (GANTRY_FAIL_ON=$fail_on)" >&2
  exit 1
fi
