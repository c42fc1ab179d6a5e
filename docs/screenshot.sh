#!/usr/bin/env bash
# Writes docs/report.png and docs/report-zh.png, the README's screenshots of report.html in English and
# in Chinese, from a run on the committed sample.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/custseg-target}"
out="$(mktemp -d)"
cargo run --release --quiet -- run --quiet --out "$out/run"
cargo run --release --quiet -- report --quiet --run "$out/run" --lang zh
shot() {
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$out/profile" --hide-scrollbars \
        --window-size=1280,1000 --screenshot="$2" "file://$1" 2>/dev/null
    echo "wrote $2"
}
shot "$out/run/report.html" docs/report.png
shot "$out/run/report-zh/report.html" docs/report-zh.png
rm -rf "$out"
