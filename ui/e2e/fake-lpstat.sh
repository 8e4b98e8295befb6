#!/bin/sh
# A test print system standing in for CUPS `lpstat` (the core runs it when CASHDESK_LPSTAT names it):
#   fake-lpstat.sh -e   the queues, one a line: the lines of the file $CASHDESK_TEST_QUEUES
#   fake-lpstat.sh -d   "system default destination: Q" for its first line, as lpstat says it
# While that file does not exist the print system is "not running" (exit 1, as lpstat when CUPS is
# down): a demo counter seeded then gets no printer.
set -eu
queues="${CASHDESK_TEST_QUEUES:?set CASHDESK_TEST_QUEUES to the file listing the test print queues}"
[ -f "$queues" ] || { echo "lpstat: Scheduler is not running." >&2; exit 1; }
case "${1:-}" in
  -e) cat -- "$queues" ;;
  -d) first=$(head -n 1 -- "$queues"); if [ -n "$first" ]; then echo "system default destination: $first"; else echo "no system default destination"; fi ;;
  *) echo "fake-lpstat: -e or -d" >&2; exit 2 ;;
esac
