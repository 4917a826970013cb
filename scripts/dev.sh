#!/usr/bin/env bash
# `make dev`: start the broker (persistent data in data/kafka), then every process of the system with
# demo data. Ctrl-C (or TERM) stops the processes and the broker: nothing is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
export TIENPHONG_DATA_DIR=${TIENPHONG_DATA_DIR:-$PWD/data}
mkdir -p "$TIENPHONG_DATA_DIR"
own_broker=0
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  export KAFKA_DATA_DIR=${KAFKA_DATA_DIR:-$TIENPHONG_DATA_DIR/kafka}
  scripts/kafka.sh start
  export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${KAFKA_PORT:-9092}
  own_broker=1
fi
stop_broker() { if [ "$own_broker" = 1 ]; then scripts/kafka.sh stop; fi; }
trap stop_broker EXIT
# Not exec: the trap must run after the supervisor has stopped its children.
.venv/bin/tienphong run &
child=$!
trap 'kill -TERM $child 2>/dev/null || true' INT TERM
wait $child || true
wait $child 2>/dev/null || true
