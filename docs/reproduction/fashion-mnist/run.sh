#!/usr/bin/env bash
# The Appendix D reproduction's training: the Fashion-MNIST sweeps in sweeps/fashion-mnist/, most telling
# first, each appending its trials to the committed results file as they end. Trials the file already
# holds are not trained again, so this picks up where any earlier run stopped, on any machine:
#   nice -n 19 bash docs/reproduction/fashion-mnist/run.sh        # then commit results.jsonl now and then
# Needs the data: apt-get install dataset-fashion-mnist (or sgdlab data fetch fashion-mnist).
set -euo pipefail
# RESULTS (default this page's results.jsonl), STORE (./sgdlab-runs/fashion-mnist.sqlite), WORKERS (2) and SPECS may be set.
# shellcheck disable=SC2086
exec bash "$(dirname "$0")/../run-sweeps.sh" fashion-mnist ${SPECS:-fig6a fig6b fig7b fig6c fig7ac fig7b-long fig6a-w1024}
