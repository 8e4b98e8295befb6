#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages in scripts/system-packages.txt that are not installed yet,
# and checks the toolchains that apt does not provide at a usable version (Rust, Node >= 20.19).
#
# Idempotent and silent when everything is there: `dpkg -s` per package, and `apt-get update`
# only when something is missing. Never prompts (CI has no terminal). Uses sudo when not root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list="$here/system-packages.txt"

mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$')

# Node and npm: only when there is no node at all (a NodeSource nodejs already carries npm,
# and Debian's npm package would conflict with it).
command -v node >/dev/null 2>&1 || wanted+=(nodejs npm)

missing=()
for p in "${wanted[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: no apt-get here; install these packages by hand: ${missing[*]}" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-system-deps: not root and no sudo; as root run: apt-get install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo -E)
  fi
  echo "install-system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Toolchains apt does not give us at the right version: check and say what to do.
fail=0
if ! command -v cargo >/dev/null 2>&1; then
  echo "install-system-deps: no Rust toolchain (cargo). Install rustup (https://rustup.rs), then re-run make." >&2
  fail=1
else
  for comp in rustfmt clippy; do
    sub=${comp/rustfmt/fmt}
    if ! cargo "$sub" --version >/dev/null 2>&1; then
      if command -v rustup >/dev/null 2>&1; then
        echo "install-system-deps: adding the Rust component $comp"
        rustup component add "$comp"
      else
        echo "install-system-deps: cargo $sub is missing (Rust component $comp)" >&2
        fail=1
      fi
    fi
  done
fi
if command -v node >/dev/null 2>&1; then
  # Vite 8 needs Node >= 20.19 (Debian 12's own nodejs is 18).
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
    echo "install-system-deps: Node $(node --version) is too old; the UI needs Node >= 20.19 (e.g. NodeSource's nodejs 20 or 22)." >&2
    fail=1
  fi
else
  echo "install-system-deps: node is still missing after the install" >&2
  fail=1
fi
exit $fail
