#!/bin/sh
# A test printer standing in for CUPS `lp` (the bridge runs it when CASHDESK_LP names it):
#   fake-lp.sh -d PRINTER -n COPIES -o media=MEDIA -- FILE.pdf
# Files the PDF (the last argument) as $CASHDESK_TEST_PRINTS/<nanoseconds>-<pid>.pdf, with the
# arguments it was given, one a line, beside it in a .args file; exits 0 like a spooler that took
# the job. No shell string is ever built from the arguments.
# A printer held by a test: while the file $CASHDESK_TEST_HOLD exists, a job waits (after writing
# $CASHDESK_TEST_HOLD.waiting) until the test removes it, at most 20 s — a job "in hand" that a test
# can act during (e.g. cancel a batch between its PDFs).
set -eu
dir="${CASHDESK_TEST_PRINTS:?set CASHDESK_TEST_PRINTS to the directory the test prints go to}"
for last in "$@"; do :; done
[ -f "${last:-}" ] || { echo "fake-lp: no PDF file as the last argument" >&2; exit 2; }
hold="${CASHDESK_TEST_HOLD:-}"
if [ -n "$hold" ] && [ -e "$hold" ]; then
  : > "$hold.waiting"
  i=0
  while [ -e "$hold" ] && [ "$i" -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
  rm -f -- "$hold.waiting"
fi
name="$dir/$(date +%s%N)-$$"
printf '%s\n' "$@" > "$name.args"
cp -- "$last" "$name.pdf.tmp"
mv -- "$name.pdf.tmp" "$name.pdf"
