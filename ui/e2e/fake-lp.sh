#!/bin/sh
# A test printer standing in for CUPS `lp` (the bridge runs it when CASHDESK_LP names it):
#   fake-lp.sh -d PRINTER -n COPIES -o media=MEDIA -- FILE.pdf
# Files the PDF (the last argument) as $CASHDESK_TEST_PRINTS/<nanoseconds>-<pid>.pdf, with the
# arguments it was given, one a line, beside it in a .args file; exits 0 like a spooler that took
# the job. No shell string is ever built from the arguments.
set -eu
dir="${CASHDESK_TEST_PRINTS:?set CASHDESK_TEST_PRINTS to the directory the test prints go to}"
for last in "$@"; do :; done
[ -f "${last:-}" ] || { echo "fake-lp: no PDF file as the last argument" >&2; exit 2; }
name="$dir/$(date +%s%N)-$$"
printf '%s\n' "$@" > "$name.args"
cp -- "$last" "$name.pdf.tmp"
mv -- "$name.pdf.tmp" "$name.pdf"
