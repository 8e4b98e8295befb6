#!/usr/bin/env bash
# `make ledger-demo`: a demo central ledger on this machine, for trying sync with the demo counter.
# A throwaway PostgreSQL (scripts/pg-throwaway.sh; deleted when this stops), the demo province's
# accounts and bills (the same the demo counter has), a one-time enrolment code for DEMO-01, and
# the ledger serving on 127.0.0.1:8700 (CASHDESK_LEDGER_BIND) until Ctrl-C.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ledger=${CASHDESK_LEDGER_BIN:?set CASHDESK_LEDGER_BIN to the cashdesk-ledger binary}
dir=$(mktemp -d -t cashdesk-ledger-demo.XXXXXX)
cleanup() { "$here/pg-throwaway.sh" stop "$dir" --rm >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
url=$("$here/pg-throwaway.sh" start "$dir")
export CASHDESK_LEDGER_DATABASE_URL="${url%/postgres}/postgres"
export CASHDESK_LEDGER_BIND="${CASHDESK_LEDGER_BIND:-127.0.0.1:8700}"
# The ledger's data key (sealed payee account numbers) lives and dies with the demo.
export CASHDESK_LEDGER_DATA_KEY_FILE="$dir/ledger.datakey"
"$ledger" import demo
code=$("$ledger" terminal enrol DEMO-01 2>/dev/null)
cat <<MSG

  Demo ledger on http://$CASHDESK_LEDGER_BIND (PostgreSQL in $dir, deleted on exit).
  Enrol the demo counter: in the app (make run) log in as admin / Admin#2026, press F11 (设置),
  账务中心: URL http://$CASHDESK_LEDGER_BIND, one-time code $code
  or from a shell: cashdeskctl sync enrol --url http://$CASHDESK_LEDGER_BIND --code $code --user admin
  Ledger views: CASHDESK_LEDGER_DATABASE_URL=$CASHDESK_LEDGER_DATABASE_URL $ledger totals --terminal DEMO-01

MSG
"$ledger" serve
