#!/usr/bin/env bash
# The momentum experiment's training (issue 20, docs/reproduction-momentum.md): sweeps/fashion-mnist/momentum*.yaml,
# appending each trial to the committed results file as it ends; trials the file holds are not trained again.
#   nice -n 19 bash docs/reproduction/momentum/run.sh
set -euo pipefail
# RESULTS (default this page's results.jsonl), STORE (./sgdlab-runs/momentum.sqlite), WORKERS (2) and SPECS may be set.
# shellcheck disable=SC2086
exec bash "$(dirname "$0")/../run-sweeps.sh" momentum ${SPECS:-momentum momentum-lambda momentum-long}
