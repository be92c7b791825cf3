#!/usr/bin/env bash
# Rewrites the calibrated-verdicts block of docs/reproduction.md and docs/reproduction/digits/claims.json from the
# committed digits results alone: offline, no training (the rest of that page comes from run.sh's local store).
set -euo pipefail
cd "$(dirname "$0")/../../.."
RESULTS=${RESULTS:-docs/reproduction/digits/results.jsonl}
PAGE=${PAGE:-docs/reproduction.md}
DOC=${DOC:-docs/reproduction.md}
CLAIMS=${CLAIMS:-docs/reproduction/digits/claims.json}
node --import tsx docs/reproduction/digits/build-verdicts.ts "$RESULTS" "$PAGE" "$DOC" "$CLAIMS"
