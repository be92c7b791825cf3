#!/usr/bin/env bash
# The momentum experiment's training (issue 20, docs/reproduction-momentum.md): sweeps/fashion-mnist/momentum*.yaml,
# appending each trial to the committed results file as it ends; trials the file holds are not trained again.
#   nice -n 19 bash docs/reproduction/momentum/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
RESULTS=${RESULTS:-$PWD/docs/reproduction/momentum/results.jsonl}
STORE=${STORE:-./sgdlab-runs/momentum.sqlite}
WORKERS=${WORKERS:-2}
for spec in ${SPECS:-momentum momentum-lambda momentum-long}; do
  start=$(date +%s)
  node bin/sgdlab.js sweep run "sweeps/fashion-mnist/$spec.yaml" --store "$STORE" --workers "$WORKERS" --results "$RESULTS"
  echo "$spec: $(( $(date +%s) - start )) s wall"
done
