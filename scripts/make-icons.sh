#!/usr/bin/env bash
# Regenerates src-tauri/icons/ (committed; run this only to change the icon).
# Needs ImageMagick and a CJK font (fonts-wqy-microhei or fonts-noto-cjk).
# A plain rounded square in the counter's blue with 收 ("collect") in white.
# PNG32: forces 8-bit RGBA, which tauri::generate_context! requires of its icons.
set -euo pipefail
cd "$(dirname "$0")/../src-tauri/icons"

font=""
for f in /usr/share/fonts/truetype/wqy/wqy-microhei.ttc \
         /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc \
         /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc; do
  if [ -f "$f" ]; then font="$f"; break; fi
done
[ -n "$font" ] || { echo "make-icons: no CJK font found (apt-get install fonts-wqy-microhei)" >&2; exit 1; }

size=1024
convert -size ${size}x${size} xc:none \
  -fill '#1f6feb' -draw "roundrectangle 40,40 $((size-40)),$((size-40)) 180,180" \
  -font "$font" -fill white -pointsize 640 -gravity center -annotate +0+20 '收' \
  PNG32:master.png

convert master.png -resize 32x32   PNG32:32x32.png
convert master.png -resize 128x128 PNG32:128x128.png
convert master.png -resize 256x256 PNG32:128x128@2x.png
convert master.png -resize 512x512 PNG32:icon.png
rm -f master.png
ls -l
