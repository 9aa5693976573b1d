#!/usr/bin/env bash
# Renders a lambdahat report (index.html) in headless Chromium at a desktop width and
# a phone width and checks what a reader would see: every figure loads, and nothing
# makes the page wider than the window (wide tables scroll inside their own box).
# Leaves a screenshot of each width beside the report (report-check-<width>.png).
# Usage: tools/check_report.sh DIR/index.html      (make report-check runs it)
set -euo pipefail
index=${1:?usage: tools/check_report.sh DIR/index.html}
[ -f "$index" ] || { echo "check_report: $index is not a file" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "check_report: Chromium is not installed (make report-check installs it)" >&2; exit 2; }
dir=$(cd "$(dirname "$index")" && pwd)
# a copy beside the original (the figures' paths are relative) with the check appended
probe=$(mktemp "$dir/.report-check-XXXXXX.html")
trap 'rm -f "$probe"' EXIT
sed 's|</body>|<script>\
window.addEventListener("load", () => {\
  const problems = [], width = document.documentElement.clientWidth;\
  if (document.documentElement.scrollWidth > width + 1)\
    problems.push("the page is wider than the window: " + document.documentElement.scrollWidth + " > " + width + " px");\
  for (const img of document.images) {\
    if (!img.complete \|\| img.naturalWidth === 0) problems.push("a figure did not load: " + img.getAttribute("src"));\
    if (img.getBoundingClientRect().right > width + 1) problems.push("a figure reaches past the window: " + img.getAttribute("src"));\
  }\
  if (document.images.length === 0) problems.push("the report shows no figure");\
  const out = document.createElement("pre");\
  out.id = "report-check";\
  out.textContent = problems.length ? problems.join("\\n") : "report-check: ok";\
  document.body.appendChild(out);\
});\
</script></body>|' "$index" > "$probe"
status=0
# 500 px: the narrowest window headless Chromium lays out
for size in 1280,900 500,900; do
  width=${size%,*}
  flags=(--headless --disable-gpu --no-sandbox --hide-scrollbars --window-size="$size" --virtual-time-budget=10000)
  dom=$("$browser" "${flags[@]}" --dump-dom "file://$probe" 2>/dev/null)
  result=$(printf '%s' "$dom" | sed -n '/<pre id="report-check">/,/<\/pre>/p' | sed 's/<[^>]*>//g; s/&gt;/>/g; s/&lt;/</g; s/&amp;/\&/g')
  "$browser" "${flags[@]}" --screenshot="$dir/report-check-$width.png" "file://$index" >/dev/null 2>&1 || true
  if [ "$result" = "report-check: ok" ]; then
    echo "width $width px: every figure loads, nothing wider than the window"
  else
    echo "width $width px: ${result:-the check did not run}"
    status=1
  fi
done
exit $status
