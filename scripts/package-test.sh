#!/usr/bin/env bash
# Checks the .deb the Tauri bundler made, as a counter's administrator would meet it:
#   scripts/package-test.sh DIR      (DIR: where the bundler put the .deb, e.g. $CARGO_TARGET_DIR/debug/bundle/deb)
# Its control fields (name, version, the dependencies a bare machine needs: WebKitGTK, a CJK font,
# the CUPS client), then the package unpacked into a scratch root with `dpkg -x` (no install into
# this system): the binary, a desktop entry named 收费台 that validates and starts that binary, its
# icon, cashdeskctl beside it; and the installed binaries' `--version`, run with an empty environment (no display, no
# HOME), which must name the package's version and open no window.
set -euo pipefail

dir=${1:?usage: package-test.sh BUNDLE_DEB_DIR}
mapfile -t debs < <(ls -t "$dir"/*.deb 2>/dev/null)
[ ${#debs[@]} -ge 1 ] || { echo "package-test: no .deb in $dir (make package-deb)" >&2; exit 1; }
deb=${debs[0]}
echo "package-test: $deb"

fail() { echo "package-test: FAIL: $*" >&2; exit 1; }

field() { dpkg-deb -f "$deb" "$1"; }
package=$(field Package)
version=$(field Version)
depends=$(field Depends)
[ "$package" = cashdesk ] || fail "package name is '$package', expected cashdesk"
[ -n "$version" ] || fail "no Version"
for want in 'libwebkit2gtk-4.1-0' 'libgtk-3-0' 'fonts-wqy-microhei | fonts-noto-cjk' 'cups-client'; do
  case ", $depends," in
    *", $want"[,\ \(]*) ;;
    *) fail "Depends lacks '$want': $depends" ;;
  esac
done
echo "package-test: $package $version; Depends: $depends"

root=$(mktemp -d "${TMPDIR:-/tmp}/cashdesk-deb-XXXXXX")
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"

desktop=$(find "$root/usr/share/applications" -name '*.desktop' | head -n1)
[ -n "$desktop" ] || fail "no desktop entry under /usr/share/applications"
grep -qx 'Name=收费台' "$desktop" || fail "the desktop entry's Name is not 收费台: $(grep '^Name' "$desktop")"
desktop-file-validate "$desktop" || fail "desktop-file-validate refuses $desktop"
exec_line=$(sed -n 's/^Exec=//p' "$desktop")
bin=${exec_line%% *}
[ -n "$bin" ] || fail "no Exec in $desktop"
installed="$root/usr/bin/$(basename "$bin")"
[ -x "$installed" ] || fail "Exec=$exec_line, but the package has no executable /usr/bin/$(basename "$bin")"
icon=$(sed -n 's/^Icon=//p' "$desktop")
find "$root/usr/share/icons" -name "$icon.png" | grep -q . || fail "no icon $icon.png under /usr/share/icons"

# As installed, from an empty environment: no DISPLAY, no HOME, nothing of this shell.
out=$(env -i PATH=/usr/bin:/bin "$installed" --version) || fail "$installed --version exited $?"
[ "$out" = "cashdesk-app $version" ] || fail "--version printed '$out', expected 'cashdesk-app $version'"
ctl=$(env -i PATH=/usr/bin:/bin "$root/usr/bin/cashdeskctl" --version) || fail "the package has no working /usr/bin/cashdeskctl"
[ "$ctl" = "cashdeskctl $version" ] || fail "cashdeskctl --version printed '$ctl', expected 'cashdeskctl $version'"
echo "package-test: the desktop entry is 收费台 (Exec=$exec_line, Icon=$icon); installed binary: $out"
echo "package-test: ok"
