#!/usr/bin/env bash
# Writes docs/report.png, the README's screenshot of report.html, from a run on the committed sample.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
cargo run --release --quiet -- run --quiet --out "$out/run"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$out/profile" --hide-scrollbars \
    --window-size=1100,1500 --screenshot=docs/report.png "file://$out/run/report.html" 2>/dev/null
rm -rf "$out"
echo "wrote docs/report.png"
