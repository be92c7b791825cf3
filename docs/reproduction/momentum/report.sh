#!/usr/bin/env bash
# Redraws docs/reproduction-momentum.md and its figures (docs/figures/momentum/) from the committed results alone:
# offline, no training. The results go into a throwaway run store, build-doc.ts draws and writes the rest, and the
# verdicts as data (claims.json).
set -euo pipefail
cd "$(dirname "$0")/../../.."
RESULTS=${RESULTS:-docs/reproduction/momentum/results.jsonl}
DOC=${DOC:-docs/reproduction-momentum.md}
FIGURES=${FIGURES:-docs/figures/momentum}
CLAIMS=${CLAIMS:-docs/reproduction/momentum/claims.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/empty.jsonl"
[ -f "$RESULTS" ] || RESULTS="$tmp/empty.jsonl"
for spec in momentum momentum-lambda momentum-long; do
  bin/sgdlab sweep import "sweeps/fashion-mnist/$spec.yaml" --results "$RESULTS" --store "$tmp/results.sqlite" > /dev/null
done
rm -f "$FIGURES"/*.svg "$FIGURES"/*.png
node --import tsx docs/reproduction/momentum/build-doc.ts "$RESULTS" "$tmp/results.sqlite" "$DOC" figures/momentum "$FIGURES" "$CLAIMS"
