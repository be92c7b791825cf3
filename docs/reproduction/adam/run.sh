#!/usr/bin/env bash
# The Adam experiment's training (issue 28, docs/reproduction-adam.md): sweeps/fashion-mnist/adam*.yaml, appending
# each trial to the committed results file as it ends; trials the file holds are not trained again.
#   nice -n 19 bash docs/reproduction/adam/run.sh        # then commit results.jsonl now and then
# Needs the data: apt-get install dataset-fashion-mnist (or sgdlab data fetch fashion-mnist).
set -euo pipefail
# RESULTS (default this page's results.jsonl), STORE (./sgdlab-runs/adam.sqlite), WORKERS (2) and SPECS may be set.
# shellcheck disable=SC2086
exec bash "$(dirname "$0")/../run-sweeps.sh" adam ${SPECS:-adam adam-cancel adam-positive}
