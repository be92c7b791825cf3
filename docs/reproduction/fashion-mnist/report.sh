#!/usr/bin/env bash
# Redraws docs/reproduction-fashion-mnist.md and its figures (docs/figures/fashion-mnist/) from the committed
# results alone: offline, no training, well under 2 minutes. The results go into a throwaway run store
# (`sgdlab sweep import`), `sgdlab report` draws the figures, build-doc.ts writes the page and its verdicts as data
# (claims.json).
set -euo pipefail
cd "$(dirname "$0")/../../.."
RESULTS=${RESULTS:-docs/reproduction/fashion-mnist/results.jsonl}
DOC=${DOC:-docs/reproduction-fashion-mnist.md}
FIGURES=${FIGURES:-docs/figures/fashion-mnist}
CLAIMS=${CLAIMS:-docs/reproduction/fashion-mnist/claims.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/empty.jsonl"
[ -f "$RESULTS" ] || RESULTS="$tmp/empty.jsonl"
SPECS=()
for spec in fig6a fig6b fig6c fig7b fig7ac fig7b-long; do
  SPECS+=("sweeps/fashion-mnist/$spec.yaml")
  bin/sgdlab sweep import "sweeps/fashion-mnist/$spec.yaml" --results "$RESULTS" --store "$tmp/results.sqlite"
done
# Width 1024 has its own section and table, not a place in the width-256 figures.
bin/sgdlab sweep import sweeps/fashion-mnist/fig6a-w1024.yaml --results "$RESULTS" --store "$tmp/results.sqlite"
# build-doc.ts judges the specs' claims itself (with the page's wording), so the report only draws.
bin/sgdlab report "${SPECS[@]}" --store "$tmp/results.sqlite" --out "$tmp/report" --png-zoom 1.25 --no-claims > "$tmp/report.log"
mkdir -p "$FIGURES"
rm -f "$FIGURES"/*.svg "$FIGURES"/*.png
cp "$tmp"/report/*.svg "$tmp"/report/*.png "$FIGURES"/ 2>/dev/null || true
node --import tsx docs/reproduction/fashion-mnist/build-doc.ts "$RESULTS" "$tmp/results.sqlite" "$DOC" figures/fashion-mnist "$FIGURES" "$CLAIMS"
