#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, broker+controller in one JVM) for
# development and integration tests -- no Docker, no Kafka tarball: the broker
# jars are fetched from Maven Central with scripts/kafka/pom.xml and run with
# plain `java`.
#
# Usage: scripts/kafka.sh {fetch|start|stop|status}
#
#   fetch   download the pinned broker jars once into
#           ${TIENPHONG_CACHE:-$HOME/.cache/tienphong}/kafka-<version>/libs
#   start   fetch if needed, format storage on first use, start the broker in
#           the background and wait until it accepts connections
#   stop    SIGTERM the broker, SIGKILL after KAFKA_STOP_TIMEOUT seconds
#   status  exit 0 (and print details) if the broker is running, else exit 1
#
# Environment:
#   KAFKA_PORT             client (PLAINTEXT) port              [9092]
#   KAFKA_CONTROLLER_PORT  KRaft controller port                [KAFKA_PORT+1]
#   KAFKA_DATA_DIR         config, data, logs, pid file         [<repo>/data/kafka]
#   KAFKA_START_TIMEOUT    seconds to wait for the port         [60]
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM        [30]
#   KAFKA_VERSION          override the version pinned in scripts/kafka/pom.xml
#   KAFKA_FLUSH_EACH_APPEND  1: fsync each append before acknowledging; 0: leave
#                          it to the OS (benchmarks only, see bench/relay_flush.py) [1]
#   TIENPHONG_CACHE        cache root                           [~/.cache/tienphong]
#   JAVA_HOME              JDK to use (Java 17+); else `java` from PATH
#   KAFKA_BROKERS          number of brokers                    [1]
#
# Several brokers (KAFKA_BROKERS=3 scripts/kafka.sh start): the same jars, one JVM
# per node, each broker and KRaft controller (a quorum of all nodes), in
# KAFKA_DATA_DIR/node-<i>. Node i listens on KAFKA_PORT+2(i-1) and its controller on
# the next port (9092/9093, 9094/9095, 9096/9097), or on the i-th of the
# comma-separated KAFKA_PORTS and KAFKA_CONTROLLER_PORTS. Internal topics are
# replicated to min(3, N) nodes with min.insync.replicas=2; the project's topics
# take TIENPHONG_TOPIC_REPLICATION (see docs/scaling.md). stop and status act on
# every node; `kill -9 $(cat KAFKA_DATA_DIR/node-2/kafka.pid)` takes one away.
#
# Requirements: bash, java 17+, and mvn (only for the first fetch).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"
LOG4J_CONF="$SCRIPT_DIR/kafka/log4j2.yaml"

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVA_HEAP_OPTS=(-Xms256m -Xmx512m)
JAVA_TOOL_HEAP_OPTS=(-Xms64m -Xmx256m)
JAVA_COMMON_OPTS=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true)

PINNED_VERSION="$(sed -n 's:.*<kafka\.version>\([^<]*\)</kafka\.version>.*:\1:p' "$POM" | head -n1)"
KAFKA_VERSION="${KAFKA_VERSION:-$PINNED_VERSION}"
CACHE_DIR="${TIENPHONG_CACHE:-$HOME/.cache/tienphong}/kafka-$KAFKA_VERSION"
LIBS="$CACHE_DIR/libs"
MARKER="$CACHE_DIR/.fetch-complete"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_BROKERS="${KAFKA_BROKERS:-1}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

log() { printf 'kafka.sh: %s\n' "$*"; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
fmt_ms() { printf '%d.%01ds' $(( $1 / 1000 )) $(( ($1 % 1000) / 100 )); }

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

check_port_var() { # name value
    is_uint "$2" && (( $2 > 0 && $2 < 65536 )) || die "$1 must be a TCP port number, got '$2'"
}

# --- data-dir layout --------------------------------------------------------

resolve_data_dir() { # [create]
    local dir="${KAFKA_DATA_DIR:-$REPO_ROOT/data/kafka}"
    [[ "$dir" == /* ]] || dir="$PWD/$dir"
    [[ "${1:-}" != create ]] || mkdir -p "$dir"
    [[ ! -d "$dir" ]] || dir="$(cd "$dir" && pwd)"
    DATA_DIR="$dir"
    PROPS="$DATA_DIR/server.properties"
    KRAFT_DIR="$DATA_DIR/kraft-data"       # log.dirs (topic data + __cluster_metadata)
    LOG_DIR="$DATA_DIR/logs"               # server.log (log4j2) and kafka.out (stdout/stderr)
    OUT_FILE="$LOG_DIR/kafka.out"
    PID_FILE="$DATA_DIR/kafka.pid"
}

# --- process helpers --------------------------------------------------------

pid_alive() { # pid -> 0 if the process exists and is not a zombie
    local pid="$1" state=""
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r "/proc/$pid/stat" ]]; then
        # field 3 of /proc/<pid>/stat, after the parenthesised command name
        state="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" || true
        [[ "$state" != Z ]] || return 1
    fi
    return 0
}

pid_is_kafka() { # pid -> 0 if that pid is a kafka.Kafka JVM (guards against pid reuse)
    local pid="$1" args=""
    if [[ -r "/proc/$pid/cmdline" ]]; then
        args="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || true
    else
        args="$(ps -p "$pid" -o args= 2>/dev/null)" || true
    fi
    [[ "$args" == *kafka.Kafka* ]]
}

# Sets RUNNING_PID and returns 0 if the pid file names a live broker.
running_pid() {
    RUNNING_PID=""
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(tr -d '[:space:]' <"$PID_FILE")"
    is_uint "$pid" || return 1
    pid_alive "$pid" && pid_is_kafka "$pid" || return 1
    RUNNING_PID="$pid"
}

port_open() { # port -> 0 if something accepts TCP connections on 127.0.0.1:port
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

configured_port() { # client port recorded in the data dir's server.properties
    sed -n 's|^advertised\.listeners=PLAINTEXT://[^:]*:\([0-9]*\).*|\1|p' "$PROPS" 2>/dev/null | head -n1
}

# --- fetch ------------------------------------------------------------------

pom_sha() { sha256sum "$POM" | cut -d' ' -f1; }

fetch_complete() {
    [[ -f "$MARKER" && -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]] &&
        grep -qx "pom.sha256=$(pom_sha)" "$MARKER"
}

cmd_fetch() {
    if fetch_complete; then
        log "kafka $KAFKA_VERSION jars already cached in $LIBS"
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found (needed once to fetch Kafka $KAFKA_VERSION from Maven Central)"
    mkdir -p "$CACHE_DIR"

    # Serialise concurrent fetches (e.g. parallel test runs) when flock exists.
    if command -v flock >/dev/null; then
        exec 9>"$CACHE_DIR/.fetch.lock"
        flock 9
        if fetch_complete; then
            log "kafka $KAFKA_VERSION jars already cached in $LIBS"
            return 0
        fi
    fi

    local tmp="$CACHE_DIR/libs.partial.$$" mvn_log="$CACHE_DIR/fetch.log" t0
    rm -rf "$tmp"
    t0="$(now_ms)"
    log "fetching kafka_2.13:$KAFKA_VERSION from Maven Central into $LIBS (first time only, ~30-60s) ..."
    # mvn output goes to a log file (Maven 3.8 prints stray ANSI codes even
    # with -q); it is shown if the fetch fails.
    if ! mvn -q -B -Dstyle.color=never -f "$POM" \
            -Dkafka.version="$KAFKA_VERSION" \
            dependency:copy-dependencies \
            -DoutputDirectory="$tmp" -DincludeScope=runtime >"$mvn_log" 2>&1; then
        cat "$mvn_log" >&2
        rm -rf "$tmp"
        die "mvn dependency:copy-dependencies failed for Kafka $KAFKA_VERSION (log: $mvn_log)"
    fi
    [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || {
        rm -rf "$tmp"
        die "fetch incomplete: kafka_2.13-$KAFKA_VERSION.jar missing"
    }
    rm -rf "$LIBS"
    mv "$tmp" "$LIBS"
    printf 'kafka.version=%s\npom.sha256=%s\n' "$KAFKA_VERSION" "$(pom_sha)" >"$MARKER"
    log "fetched $(find "$LIBS" -name '*.jar' | wc -l | tr -d ' ') jars in $(fmt_ms $(( $(now_ms) - t0 )))"
}

# --- start ------------------------------------------------------------------

write_server_properties() {
    local flush_messages=1
    [[ "${KAFKA_FLUSH_EACH_APPEND:-1}" != 0 ]] || flush_messages=9223372036854775807
    cat >"$PROPS" <<EOF
# Generated by scripts/kafka.sh on every start -- edits will be overwritten.
# ${NODE_NOTE:-Single-node KRaft (Kafka $KAFKA_VERSION): broker and controller in one JVM.}
process.roles=broker,controller
node.id=${NODE_ID:-1}
$(quorum_lines)
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT

log.dirs=$KRAFT_DIR
num.partitions=1
auto.create.topics.enable=false
log.retention.ms=-1
# A single broker acknowledges (acks=all) once a record is in its page cache: no replica elsewhere holds
# it, and the relay then deletes the outbox row, so a power cut could lose an acknowledged event. Each
# append (one produce request's records of a partition) is fsynced before the broker answers instead;
# no time-based flush is needed on top. A lost tail is still repaired by: tienphong reconcile.
log.flush.interval.messages=$flush_messages

# ${INTERNAL_NOTE:-Single replica for all internal topics}; few partitions so the first
# consumer group / transaction does not have to create 50 partitions.
offsets.topic.replication.factor=${INTERNAL_RF:-1}
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=${INTERNAL_RF:-1}
transaction.state.log.min.isr=${INTERNAL_MIN_ISR:-1}
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=${INTERNAL_RF:-1}
share.coordinator.state.topic.min.isr=${INTERNAL_MIN_ISR:-1}
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0

# Smaller compaction dedupe buffer (default 128 MiB) to fit the 512 MiB heap.
log.cleaner.dedupe.buffer.size=33554432
EOF
}

quorum_lines() {
    if [[ -n "${QUORUM_VOTERS:-}" ]]; then
        printf '# Static KRaft quorum of every node (the storage is formatted without --standalone).\ncontroller.quorum.voters=%s\n' \
            "$QUORUM_VOTERS"
    else
        printf '# Dynamic KRaft quorum (KIP-853); storage is formatted with --standalone.\ncontroller.quorum.bootstrap.servers=127.0.0.1:%s\n' \
            "$KAFKA_CONTROLLER_PORT"
    fi
}

kafka_java_tool() { # run a short-lived Kafka tool class with a small heap
    "$JAVA" "${JAVA_TOOL_HEAP_OPTS[@]}" "${JAVA_COMMON_OPTS[@]}" \
        -Dlog4j2.configurationFile="$LOG4J_CONF" -Dkafka.logs.dir="$LOG_DIR" \
        -cp "$LIBS/*" "$@"
}

format_storage_once() {
    if [[ -f "$KRAFT_DIR/meta.properties" ]]; then
        return 0
    fi
    local cluster_id="${NODES_CLUSTER_ID:-}"
    [[ -n "$cluster_id" ]] || cluster_id="$(kafka_java_tool kafka.tools.StorageTool random-uuid)" ||
        die "StorageTool random-uuid failed"
    if [[ -n "${NODES_CLUSTER_ID:-}" ]]; then  # a node of several: one cluster id, the static quorum
        cluster_id="$NODES_CLUSTER_ID"
        log "formatting $KRAFT_DIR (cluster id $cluster_id, node ${NODE_ID})"
        kafka_java_tool kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$PROPS" ||
            die "StorageTool format failed"
        return 0
    fi
    log "formatting $KRAFT_DIR (cluster id $cluster_id)"
    kafka_java_tool kafka.tools.StorageTool format \
        --cluster-id "$cluster_id" --config "$PROPS" --standalone ||
        die "StorageTool format failed"
}

print_log_tail() {
    # kafka.out holds JVM output plus WARN/ERROR log lines -- usually the cause;
    # fall back to server.log (INFO) when it is empty.
    local f="$OUT_FILE"
    [[ -s "$f" ]] || f="$LOG_DIR/server.log"
    if [[ -s "$f" ]]; then
        printf -- '----- tail of %s -----\n' "$f" >&2
        tail -n 40 "$f" >&2
        printf -- '----- (full INFO log: %s) -----\n' "$LOG_DIR/server.log" >&2
    fi
}

cmd_start() {
    local t0 pid deadline
    t0="$(now_ms)"
    resolve_data_dir create

    if running_pid; then
        log "kafka already running (pid $RUNNING_PID, data dir $DATA_DIR)"
        echo "bootstrap: 127.0.0.1:$(configured_port)"
        return 0
    fi
    rm -f "$PID_FILE"

    check_port_var KAFKA_PORT "$KAFKA_PORT"
    KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$(( KAFKA_PORT + 1 ))}"
    check_port_var KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
    command -v "$JAVA" >/dev/null || die "java not found (set JAVA_HOME or put java 17+ on PATH)"
    for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        ! port_open "$p" || die "127.0.0.1:$p is already in use by another process"
    done

    fetch_complete || cmd_fetch

    mkdir -p "$KRAFT_DIR" "$LOG_DIR"
    write_server_properties
    format_storage_once

    : >"$OUT_FILE"
    nohup "$JAVA" "${JAVA_HEAP_OPTS[@]}" "${JAVA_COMMON_OPTS[@]}" \
        -Dlog4j2.configurationFile="$LOG4J_CONF" -Dkafka.logs.dir="$LOG_DIR" \
        -cp "$LIBS/*" kafka.Kafka "$PROPS" \
        >>"$OUT_FILE" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PID_FILE"

    deadline=$(( $(date +%s) + KAFKA_START_TIMEOUT ))
    until port_open "$KAFKA_PORT"; do
        if ! pid_alive "$pid"; then
            rm -f "$PID_FILE"
            print_log_tail
            die "kafka (pid $pid) exited during startup"
        fi
        if (( $(date +%s) >= deadline )); then
            print_log_tail
            kill -KILL "$pid" 2>/dev/null || true
            rm -f "$PID_FILE"
            die "kafka did not accept connections on 127.0.0.1:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s"
        fi
        sleep 0.1
    done

    log "kafka $KAFKA_VERSION started in $(fmt_ms $(( $(now_ms) - t0 ))) (pid $pid, data dir $DATA_DIR)"
    echo "bootstrap: 127.0.0.1:$KAFKA_PORT"
}

# --- stop / status ----------------------------------------------------------

cmd_stop() {
    resolve_data_dir
    if ! running_pid; then
        [[ -f "$PID_FILE" ]] && log "removing stale pid file $PID_FILE"
        rm -f "$PID_FILE"
        log "kafka not running"
        return 0
    fi
    local pid="$RUNNING_PID" deadline
    log "stopping kafka (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(date +%s) + KAFKA_STOP_TIMEOUT ))
    while pid_alive "$pid"; do
        if (( $(date +%s) >= deadline )); then
            log "kafka did not exit within ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
            break
        fi
        sleep 0.2
    done
    rm -f "$PID_FILE"
    log "kafka stopped"
}

cmd_status() {
    resolve_data_dir
    if running_pid; then
        local port
        port="$(configured_port)"
        if port_open "$port"; then
            log "kafka running (pid $RUNNING_PID, data dir $DATA_DIR)"
        else
            log "kafka process running (pid $RUNNING_PID) but 127.0.0.1:$port not accepting connections"
        fi
        echo "bootstrap: 127.0.0.1:$port"
        return 0
    fi
    log "kafka not running (data dir $DATA_DIR)"
    return 1
}

# --- several brokers --------------------------------------------------------

nth() { # index list -> the index-th (1-based) item of a comma-separated list
    cut -d, -f"$1" <<<"$2"
}

node_env() { # i -> sets the node's directory, ports and quorum (DATA_DIR is the cluster's)
    local i="$1" client controller voters="" j c
    client="$( [[ -n "${KAFKA_PORTS:-}" ]] && nth "$i" "$KAFKA_PORTS" || echo $(( KAFKA_PORT + 2 * (i - 1) )) )"
    controller="$( [[ -n "${KAFKA_CONTROLLER_PORTS:-}" ]] && nth "$i" "$KAFKA_CONTROLLER_PORTS" || echo $(( client + 1 )) )"
    for j in $(seq 1 "$KAFKA_BROKERS"); do
        if [[ -n "${KAFKA_CONTROLLER_PORTS:-}" ]]; then
            c="$(nth "$j" "$KAFKA_CONTROLLER_PORTS")"
        elif [[ -n "${KAFKA_PORTS:-}" ]]; then
            c=$(( $(nth "$j" "$KAFKA_PORTS") + 1 ))
        else
            c=$(( KAFKA_PORT + 2 * (j - 1) + 1 ))
        fi
        voters="${voters:+$voters,}$j@127.0.0.1:$c"
    done
    NODE_DIR="$CLUSTER_DIR/node-$i"
    NODE_ID="$i"
    KAFKA_PORT_OF_NODE="$client"
    KAFKA_CONTROLLER_PORT_OF_NODE="$controller"
    QUORUM_VOTERS="$voters"
    NODE_NOTE="Node $i of $KAFKA_BROKERS (Kafka $KAFKA_VERSION): broker and KRaft controller in one JVM."
    INTERNAL_RF=$(( KAFKA_BROKERS < 3 ? KAFKA_BROKERS : 3 ))
    INTERNAL_MIN_ISR=$(( INTERNAL_RF > 2 ? 2 : 1 ))
    INTERNAL_NOTE="$INTERNAL_RF replicas of every internal topic, $INTERNAL_MIN_ISR in sync for a write"
}

cluster() { # command -> run it on every node, each as a single broker in its own directory
    local command="$1" i bootstrap="" status=0
    is_uint "$KAFKA_BROKERS" && (( KAFKA_BROKERS >= 1 )) || die "KAFKA_BROKERS must be a positive number"
    resolve_data_dir create
    CLUSTER_DIR="$DATA_DIR"
    if [[ "$command" == start ]]; then
        [[ -s "$CLUSTER_DIR/cluster.id" ]] || {
            fetch_complete || cmd_fetch
            kafka_java_tool kafka.tools.StorageTool random-uuid >"$CLUSTER_DIR/cluster.id" ||
                die "StorageTool random-uuid failed"
        }
        NODES_CLUSTER_ID="$(tr -d '[:space:]' <"$CLUSTER_DIR/cluster.id")"
    fi
    for i in $(seq 1 "$KAFKA_BROKERS"); do
        node_env "$i"
        # a subshell per node: the single-broker commands set their globals from these
        ( KAFKA_DATA_DIR="$NODE_DIR" KAFKA_PORT="$KAFKA_PORT_OF_NODE" \
          KAFKA_CONTROLLER_PORT="$KAFKA_CONTROLLER_PORT_OF_NODE"
          "cmd_$command" ) >"$CLUSTER_DIR/node-$i.$command.out" 2>&1 &
        bootstrap="${bootstrap:+$bootstrap,}127.0.0.1:$KAFKA_PORT_OF_NODE"
    done
    # the nodes start together: a controller quorum needs a majority of its voters to elect a leader
    for i in $(seq 1 "$KAFKA_BROKERS"); do
        wait -n || status=1
    done
    for i in $(seq 1 "$KAFKA_BROKERS"); do
        grep -v '^bootstrap:' "$CLUSTER_DIR/node-$i.$command.out" | sed "s/^/node $i: /"
    done
    (( status == 0 )) || die "$command failed on a node (see above)"
    [[ "$command" == stop ]] || echo "bootstrap: $bootstrap"
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

[[ -n "$KAFKA_VERSION" ]] || die "could not read <kafka.version> from $POM"

if [[ "$KAFKA_BROKERS" != 1 && "${1:-}" =~ ^(start|stop|status)$ ]]; then
    cluster "$1"
    exit 0
fi

case "${1:-}" in
    fetch)  cmd_fetch ;;
    start)  cmd_start ;;
    stop)   cmd_stop ;;
    status) cmd_status ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
