#!/usr/bin/env bash
# Redraws docs/reproduction-adam.md and its figures (docs/figures/adam/) from the committed results alone: offline,
# no training, no run store. build-doc.ts draws and writes the page, and the verdicts as data (claims.json).
set -euo pipefail
cd "$(dirname "$0")/../../.."
RESULTS=${RESULTS:-docs/reproduction/adam/results.jsonl}
DOC=${DOC:-docs/reproduction-adam.md}
FIGURES=${FIGURES:-docs/figures/adam}
CLAIMS=${CLAIMS:-docs/reproduction/adam/claims.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/empty.jsonl"
[ -f "$RESULTS" ] || RESULTS="$tmp/empty.jsonl"
mkdir -p "$FIGURES"
rm -f "$FIGURES"/*.svg "$FIGURES"/*.png
node --import tsx docs/reproduction/adam/build-doc.ts "$RESULTS" "$DOC" figures/adam "$FIGURES" "$CLAIMS"
