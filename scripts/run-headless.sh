#!/usr/bin/env bash
# Runs the desktop app on a virtual X display (for a machine with no screen), waits for its
# window, takes a screenshot once the picture has settled, and stops the app again.
#   scripts/run-headless.sh OUT.png APP [ARGS...]
# KEEP=1 keeps the app running after the screenshot, until Ctrl-C.
# WINDOW_TIMEOUT (seconds, default 90) bounds the wait for the window.
set -euo pipefail

if [ -z "${INSIDE_XVFB:-}" ]; then
  command -v xvfb-run >/dev/null || { echo "run-headless: xvfb-run is missing (apt-get install xvfb xauth)" >&2; exit 1; }
  export INSIDE_XVFB=1
  exec xvfb-run --auto-servernum --server-args="-screen 0 1366x900x24 -nolisten tcp" "$0" "$@"
fi

out=$1; shift
app=$1
[ -x "$app" ] || { echo "run-headless: $app is not built" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
log=$(dirname "$out")/app-headless.log

# WebKitGTK on a display without a GPU: software rendering only, or the page may stay blank.
export WEBKIT_DISABLE_DMABUF_RENDERER=1 LIBGL_ALWAYS_SOFTWARE=1

"$@" >"$log" 2>&1 &
pid=$!
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT
echo "run-headless: started $app (pid $pid) on display $DISPLAY; its output goes to $log"

# Wait for the window (polling, not a blind sleep).
limit=$(( $(date +%s) + ${WINDOW_TIMEOUT:-90} ))
win=""
while [ -z "$win" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run-headless: the app exited before showing a window; its output:" >&2
    cat "$log" >&2; exit 1
  fi
  [ "$(date +%s)" -lt "$limit" ] || { echo "run-headless: no window after ${WINDOW_TIMEOUT:-90} s" >&2; cat "$log" >&2; exit 1; }
  win=$(xdotool search --onlyvisible --name 'Cashdesk' 2>/dev/null | head -n1 || true)
  [ -n "$win" ] || sleep 0.3
done
echo "run-headless: window $win is up: $(xdotool getwindowname "$win")"

# The window maps before the web view has painted: shoot until two frames in a row are identical.
prev="" ; same=0
for _ in $(seq 1 60); do
  sum=$(import -window root -depth 8 rgb:- 2>/dev/null | md5sum | cut -d' ' -f1)
  if [ "$sum" = "$prev" ]; then same=$((same + 1)); else same=0; fi
  [ "$same" -ge 2 ] && break
  prev=$sum
  sleep 0.5
done
import -window root "$out"
echo "run-headless: screenshot written to $out"

if [ -n "${KEEP:-}" ]; then
  echo "run-headless: KEEP=1: the app keeps running on $DISPLAY; Ctrl-C stops it"
  wait "$pid"
fi
