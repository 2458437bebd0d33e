#!/usr/bin/env bash
# Run the local infrastructure without Docker.
#
#   scripts/stack.sh start [component...]   start (default: kafka elasticsearch postgres mlflow)
#   scripts/stack.sh stop  [component...]   stop (default: everything running), reverse order
#   scripts/stack.sh restart [component...]
#   scripts/stack.sh status                 one line per component (exit 1 unless the
#                                           default components are all running and healthy)
#   scripts/stack.sh env                    print `export` lines for the services
#   scripts/stack.sh logs COMPONENT [-f] [-n LINES]
#
# Components: kafka, elasticsearch (alias: es), postgres (alias: pg), mlflow,
# redis (optional, only started when named).
# Ports: KAFKA_PORT=19092 (+1 controller), ES_PORT=19200 (+100 transport),
# PG_PORT=15432, MLFLOW_PORT=15000, REDIS_PORT=16379, or STACK_PORT_OFFSET=N to
# shift them all. Everything on 127.0.0.1.
# Run scripts/setup.sh once before the first start.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

LOG_TAG=stack
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ALL_COMPONENTS=(kafka elasticsearch postgres mlflow redis)
# shellcheck disable=SC2034  # used through a nameref in resolve_components
DEFAULT_COMPONENTS=(kafka elasticsearch postgres mlflow)

KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
ES_START_TIMEOUT="${ES_START_TIMEOUT:-180}"
PG_START_TIMEOUT="${PG_START_TIMEOUT:-60}"
MLFLOW_START_TIMEOUT="${MLFLOW_START_TIMEOUT:-120}"
REDIS_START_TIMEOUT="${REDIS_START_TIMEOUT:-30}"
STOP_TIMEOUT="${STOP_TIMEOUT:-60}"

KAFKA_DIR="$CRYPTO_DATA_DIR/kafka"
ES_DIR="$CRYPTO_DATA_DIR/elasticsearch"
PG_DATA="$CRYPTO_DATA_DIR/postgres"
PG_SUPERUSER_PASSWORD_FILE="$CRYPTO_DATA_DIR/postgres-superuser.password"
MLFLOW_DIR="$CRYPTO_DATA_DIR/mlflow"
REDIS_DIR="$CRYPTO_DATA_DIR/redis"

# usage: the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

# ---------------------------------------------------------------------------
# Component metadata
# ---------------------------------------------------------------------------
canonical_name() {
  case "$1" in
    kafka) echo kafka ;;
    elasticsearch | es | search) echo elasticsearch ;;
    postgres | postgresql | pg) echo postgres ;;
    mlflow) echo mlflow ;;
    redis) echo redis ;;
    *) return 1 ;;
  esac
}

comp_port() {
  case "$1" in
    kafka) echo "$KAFKA_PORT" ;;
    elasticsearch) echo "$ES_PORT" ;;
    postgres) echo "$PG_PORT" ;;
    mlflow) echo "$MLFLOW_PORT" ;;
    redis) echo "$REDIS_PORT" ;;
  esac
}

comp_url() {
  case "$1" in
    kafka) echo "$STACK_HOST:$KAFKA_PORT" ;;
    elasticsearch) echo "http://$STACK_HOST:$ES_PORT" ;;
    postgres) echo "postgres://crypto:crypto@$STACK_HOST:$PG_PORT/crypto" ;;
    mlflow) echo "http://$STACK_HOST:$MLFLOW_PORT" ;;
    redis) echo "redis://$STACK_HOST:$REDIS_PORT" ;;
  esac
}

# A string that must appear in the process' command line. It contains this
# checkout's data dir, so a stale pid file (reboot, pid reuse) or another
# clone's stack is never mistaken for ours.
comp_marker() {
  case "$1" in
    kafka) echo "$KAFKA_DIR/server.properties" ;;
    elasticsearch) echo "$CRYPTO_DATA_DIR/" ;;
    postgres) echo "$PG_DATA" ;;
    mlflow) echo "$MLFLOW_DIR" ;;
    redis) echo "redis-server" ;; # redis rewrites its process title
  esac
}

# The log a human wants to read for each component.
comp_log() {
  case "$1" in
    kafka) echo "$KAFKA_DIR/logs/server.log" ;;
    elasticsearch) echo "$ES_DIR/logs/crypto-local.log" ;;
    postgres | mlflow | redis) comp_out "$1" ;; # they log to stdout/stderr
  esac
}

# stdout/stderr of the process itself (JVM crashes, launcher errors).
comp_out() { echo "$LOG_DIR/$1.out"; }

comp_label() {
  case "$1" in
    elasticsearch) echo "elasticsearch $ELASTICSEARCH_VERSION" ;;
    kafka) echo "kafka $KAFKA_VERSION" ;;
    postgres) echo "postgres $POSTGRES_MAJOR" ;;
    *) echo "$1" ;;
  esac
}

# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------
pid_file() { echo "$RUN_DIR/$1.pid"; }

read_pid() {
  local f
  f="$(pid_file "$1")"
  [[ -s "$f" ]] && tr -dc '0-9' <"$f"
}

# pid_alive PID : process exists and is not a zombie.
pid_alive() {
  local state
  [[ -r "/proc/$1/stat" ]] || return 1
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# group_alive PGID : any non-zombie process left in the process group
# (e.g. MLflow's uvicorn worker after the parent exited).
group_alive() {
  ps -e -o pgid= -o stat= 2>/dev/null | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

is_running() {
  local pid
  pid="$(read_pid "$1")" || return 1
  [[ -n "$pid" ]] && pid_alive "$pid" &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(comp_marker "$1")"
}

# Prefix that runs a command as the service user (root) or as-is (non-root),
# passing VAR=value pairs through env(1). setpriv execs, so the pid we record
# is the service's own pid.
svc_prefix() {
  if is_root; then
    SVC_PREFIX=(setpriv "--reuid=$CRYPTO_SERVICE_USER" "--regid=$CRYPTO_SERVICE_USER" --init-groups
      env "HOME=$CRYPTO_DATA_DIR" "USER=$CRYPTO_SERVICE_USER" "LOGNAME=$CRYPTO_SERVICE_USER")
  else
    SVC_PREFIX=(env)
  fi
}

# spawn COMPONENT OUTFILE WORKDIR CMD... : start CMD detached in its own session
# (so it survives this shell and we can signal its whole process group) and
# record its pid. The inner bash writes its own pid and then execs CMD.
spawn() {
  local comp="$1" out="$2" cwd="$3" pidf i
  shift 3
  pidf="$(pid_file "$comp")"
  rm -f "$pidf"
  # shellcheck disable=SC2016  # $$/$0/$1 are for the inner shell
  # fd 8/9 are the stack/setup lock files: the service must not inherit them.
  setsid -f bash -c 'echo $$ >"$0"; cd "$1" || exit 1; shift; exec "$@"' "$pidf" "$cwd" "$@" \
    >>"$out" 2>&1 </dev/null 8>&- 9>&-
  for i in $(seq 1 50); do
    [[ -s "$pidf" ]] && return 0
    sleep 0.1
  done
  die "$EXIT_START_FAILED" "$comp: process did not start (see $out)"
}

# kill_component COMP SIGNAL : signal the main pid (postgres, elasticsearch)
# or its group. SIGKILL always goes to the whole group.
kill_component() {
  local comp="$1" sig="$2" pid
  pid="$(read_pid "$comp")" || return 0
  [[ -n "$pid" ]] || return 0
  if [[ "$comp" == postgres || "$comp" == elasticsearch ]] && [[ "$sig" != KILL ]]; then
    # The postmaster shuts its backends down; Elasticsearch's launcher stops
    # its server JVM cleanly (signalling both makes it report exit code 143).
    kill -s "$sig" "$pid" 2>/dev/null || true
  else
    kill -s "$sig" -- "-$pid" 2>/dev/null || kill -s "$sig" "$pid" 2>/dev/null || true
  fi
}

show_failure_logs() {
  local comp="$1" f
  for f in "$(comp_out "$comp")" "$(comp_log "$comp")"; do
    [[ -s "$f" ]] || continue
    printf '  --- last lines of %s ---\n' "$f" >&2
    tail -n 30 "$f" | sed 's/^/  | /' >&2
  done
}

# ---------------------------------------------------------------------------
# Health checks (each returns 0 when the component answers a real request)
# ---------------------------------------------------------------------------
healthy_kafka() {
  tcp_open "$KAFKA_PORT" &&
    python3 "$CRYPTO_SCRIPTS_DIR/lib/kafka_probe.py" "$STACK_HOST:$KAFKA_PORT" 3 >/dev/null 2>&1
}

healthy_elasticsearch() {
  curl -fsS -m 5 -o /dev/null \
    "http://$STACK_HOST:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null
}

healthy_postgres() {
  "$PG_BIN_DIR/pg_isready" -q -h "$STACK_HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1
}

healthy_mlflow() {
  [[ "$(curl -fsS -m 3 "http://$STACK_HOST:$MLFLOW_PORT/health" 2>/dev/null)" == OK* ]]
}

healthy_redis() {
  local reply=""
  (
    exec 3<>"/dev/tcp/$STACK_HOST/$REDIS_PORT" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3 || exit 1
    [[ "$reply" == +PONG* ]]
  ) 2>/dev/null
}

start_timeout_var() {
  case "$1" in
    kafka) echo KAFKA_START_TIMEOUT ;;
    elasticsearch) echo ES_START_TIMEOUT ;;
    postgres) echo PG_START_TIMEOUT ;;
    mlflow) echo MLFLOW_START_TIMEOUT ;;
    redis) echo REDIS_START_TIMEOUT ;;
  esac
}

declare -A LAUNCHED_AT=()
declare -A READY=()

# wait_ready COMP : block until healthy; on death/timeout show logs and fail.
wait_ready() {
  local comp="$1" timeout timeout_var deadline pid
  [[ -n "${READY[$comp]:-}" ]] && return 0
  timeout_var="$(start_timeout_var "$comp")"
  timeout="${!timeout_var}"
  deadline=$(($(date +%s) + timeout))
  pid="$(read_pid "$comp")"
  while ! "healthy_$comp"; do
    if ! pid_alive "$pid"; then
      show_failure_logs "$comp"
      rm -f "$(pid_file "$comp")"
      die "$EXIT_START_FAILED" "$comp: process $pid exited during startup (logs above; full: $(comp_out "$comp"), $(comp_log "$comp"))"
    fi
    if (($(date +%s) >= deadline)); then
      show_failure_logs "$comp"
      kill_component "$comp" KILL
      rm -f "$(pid_file "$comp")"
      die "$EXIT_START_FAILED" "$comp: not healthy after ${timeout}s, killed it (raise with $timeout_var=<seconds>)"
    fi
    sleep 0.5
  done
  READY[$comp]=1
  if [[ -n "${LAUNCHED_AT[$comp]:-}" ]]; then
    log "$(comp_label "$comp") … ready in $(elapsed_s "${LAUNCHED_AT[$comp]}")s (pid $pid, $(comp_url "$comp"))"
  fi
}

# ---------------------------------------------------------------------------
# Launchers: prepare config/data, then spawn. They do not wait.
# ---------------------------------------------------------------------------
launch_kafka() {
  preflight_ports kafka # again: something may have taken it meanwhile
  [[ -f "$KAFKA_LIBS_DIR/.complete" ]] ||
    die "$EXIT_PREREQ" "kafka: jars for $KAFKA_VERSION not found in $KAFKA_LIBS_DIR; run scripts/setup.sh"
  local java
  java="$(system_java "Kafka $KAFKA_VERSION")"
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  KAFKA_LOG_DIRS="$KAFKA_DIR/data" render_template "$CRYPTO_CONF_DIR/kafka/server.properties.tmpl" \
    "$KAFKA_DIR/server.properties" KAFKA_VERSION KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_LOG_DIRS

  local logging=(-Dkafka.logs.dir="$KAFKA_DIR/logs" -Dlog4j2.configurationFile="$CRYPTO_CONF_DIR/kafka/log4j2.properties")
  local jvm=(-Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true "${logging[@]}")

  # KRaft storage must be formatted once with a cluster id before first start.
  if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
    local cluster_id
    # An id starting with '-' reads as an option to the storage tool (1 in 64 of random ones did, and
    # failed the format): such a saved id never formatted anything, so it is made anew.
    if [[ -s "$KAFKA_DIR/cluster.id" && "$(<"$KAFKA_DIR/cluster.id")" != -* ]]; then
      cluster_id="$(<"$KAFKA_DIR/cluster.id")"
    else
      # As `kafka-storage random-uuid` makes them: base64url of 16 random bytes, never with a leading '-'.
      cluster_id="$(python3 -c '
import base64, uuid
while True:
    text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not text.startswith("-"):
        print(text)
        break
')"
      printf '%s\n' "$cluster_id" >"$KAFKA_DIR/cluster.id"
    fi
    log "kafka … formatting KRaft storage (cluster id $cluster_id)"
    if ! "$java" -Xmx256m "${logging[@]}" -cp "$KAFKA_LIBS_DIR/*" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$KAFKA_DIR/server.properties" >>"$(comp_out kafka)" 2>&1; then
      show_failure_logs kafka
      die "$EXIT_START_FAILED" "kafka: storage format failed"
    fi
  fi
  spawn kafka "$(comp_out kafka)" "$KAFKA_DIR" \
    "$java" "${jvm[@]}" -cp "$KAFKA_LIBS_DIR/*" kafka.Kafka "$KAFKA_DIR/server.properties"
}

# The JDK for Elasticsearch: ES_JAVA_HOME, else the home of the system Java 17+.
es_java_home() {
  if [[ -n "${ES_JAVA_HOME:-}" ]]; then
    [[ -x "$ES_JAVA_HOME/bin/java" ]] ||
      die "$EXIT_PREREQ" "elasticsearch: ES_JAVA_HOME=$ES_JAVA_HOME has no bin/java"
    echo "$ES_JAVA_HOME"
    return
  fi
  local java
  java="$(system_java "Elasticsearch $ELASTICSEARCH_VERSION")"
  dirname "$(dirname "$(readlink -f "$java")")"
}

launch_elasticsearch() {
  preflight_ports elasticsearch # again: something may have taken it meanwhile
  [[ -f "$ES_HOME_DIR/.crypto-install" ]] ||
    die "$EXIT_PREREQ" "elasticsearch: Elasticsearch $ELASTICSEARCH_VERSION is not installed in $ES_HOME_DIR; run scripts/setup.sh"
  local java_home
  java_home="$(es_java_home)"
  check_service_user_access

  mkdir -p "$ES_DIR/config" "$ES_DIR/data" "$ES_DIR/logs" "$ES_DIR/tmp"
  ES_DATA_DIR="$ES_DIR/data" ES_LOGS_DIR="$ES_DIR/logs" render_template \
    "$CRYPTO_CONF_DIR/elasticsearch/elasticsearch.yml.tmpl" "$ES_DIR/config/elasticsearch.yml" \
    ELASTICSEARCH_VERSION ES_DATA_DIR ES_LOGS_DIR ES_PORT ES_TRANSPORT_PORT
  ES_LOGS_DIR="$ES_DIR/logs" render_template "$CRYPTO_CONF_DIR/elasticsearch/jvm.options.tmpl" \
    "$ES_DIR/config/jvm.options" ES_HEAP ES_LOGS_DIR
  cp "$CRYPTO_CONF_DIR/elasticsearch/log4j2.properties" "$ES_DIR/config/log4j2.properties"
  chown_for_service "$ES_DIR"

  svc_prefix
  spawn elasticsearch "$(comp_out elasticsearch)" "$ES_HOME_DIR" "${SVC_PREFIX[@]}" \
    "ES_JAVA_HOME=$java_home" "ES_PATH_CONF=$ES_DIR/config" \
    "ES_TMPDIR=$ES_DIR/tmp" "$ES_HOME_DIR/bin/elasticsearch"
}

init_postgres() {
  log "postgres … initdb into $PG_DATA"
  mkdir -p "$PG_DATA"
  chmod 700 "$PG_DATA"
  chown_for_service "$PG_DATA"
  # The superuser gets a random password (TCP is scram-sha-256 for everyone);
  # stack.sh reads it from this file to create the app role and databases.
  if [[ ! -s "$PG_SUPERUSER_PASSWORD_FILE" ]]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(24))' >"$PG_SUPERUSER_PASSWORD_FILE")
  fi
  local pwfile="$RUN_DIR/.initdb-pw" # not in PGDATA: initdb wants it empty
  install -m 600 "$PG_SUPERUSER_PASSWORD_FILE" "$pwfile"
  chown_for_service "$pwfile"
  svc_prefix
  if ! "${SVC_PREFIX[@]}" "$PG_BIN_DIR/initdb" -D "$PG_DATA" -U postgres --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
    >"$LOG_DIR/postgres-initdb.log" 2>&1; then
    rm -f "$pwfile"
    tail -n 20 "$LOG_DIR/postgres-initdb.log" | sed 's/^/  | /' >&2
    die "$EXIT_START_FAILED" "postgres: initdb failed (log: $LOG_DIR/postgres-initdb.log)"
  fi
  rm -f "$pwfile"
  printf "\n# Local overrides managed by scripts/stack.sh\ninclude_if_exists = 'crypto-local.conf'\n" >>"$PG_DATA/postgresql.conf"
}

launch_postgres() {
  preflight_ports postgres # again: something may have taken it meanwhile
  [[ -x "$PG_BIN_DIR/postgres" ]] ||
    die "$EXIT_PREREQ" "postgres: PostgreSQL $POSTGRES_MAJOR server not found in $PG_BIN_DIR; run scripts/setup.sh (installs postgresql-$POSTGRES_MAJOR)"
  check_service_user_access
  [[ -f "$PG_DATA/PG_VERSION" ]] || init_postgres
  cp "$CRYPTO_CONF_DIR/postgres/crypto-local.conf" "$PG_DATA/crypto-local.conf"
  chown_for_service "$PG_DATA/crypto-local.conf"
  svc_prefix
  spawn postgres "$(comp_out postgres)" "$PG_DATA" "${SVC_PREFIX[@]}" \
    "$PG_BIN_DIR/postgres" -D "$PG_DATA" -p "$PG_PORT" -c listen_addresses="$STACK_HOST"
}

# Idempotent: role crypto/crypto, databases crypto (feature store) and mlflow.
bootstrap_postgres() {
  [[ -s "$PG_SUPERUSER_PASSWORD_FILE" ]] ||
    die "$EXIT_PREREQ" "postgres: $PG_SUPERUSER_PASSWORD_FILE is missing, cannot create roles; delete $PG_DATA to re-initialise"
  if ! PGPASSWORD="$(<"$PG_SUPERUSER_PASSWORD_FILE")" PGCONNECT_TIMEOUT=5 "$PG_BIN_DIR/psql" \
    -h "$STACK_HOST" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt >/dev/null <<'SQL'; then
SELECT 'CREATE ROLE crypto LOGIN CREATEDB PASSWORD ''crypto'''
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crypto') \gexec
SELECT 'CREATE DATABASE crypto OWNER crypto'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'crypto') \gexec
SELECT 'CREATE DATABASE mlflow OWNER crypto'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'mlflow') \gexec
SQL
    die "$EXIT_START_FAILED" "postgres: could not create role 'crypto' / databases 'crypto', 'mlflow'"
  fi
}

# MLflow's SQLAlchemy URI depends on which driver ml/trainer installs.
mlflow_backend_uri() {
  local py="$CRYPTO_VENV/bin/python" base="crypto:crypto@$STACK_HOST:$PG_PORT/mlflow"
  if "$py" -c 'import psycopg2' 2>/dev/null; then
    echo "postgresql://$base"
  elif "$py" -c 'import psycopg' 2>/dev/null; then
    echo "postgresql+psycopg://$base"
  else
    die "$EXIT_PREREQ" "mlflow: no PostgreSQL driver (psycopg2 or psycopg) in $CRYPTO_VENV"
  fi
}

launch_mlflow() {
  preflight_ports mlflow # again: something may have taken it meanwhile
  local mlflow_bin="$CRYPTO_VENV/bin/mlflow"
  [[ -x "$mlflow_bin" ]] ||
    die "$EXIT_PREREQ" "mlflow: $mlflow_bin not found; run scripts/setup.sh (it installs ml/trainer[dev] into $CRYPTO_VENV)"
  local backend
  backend="$(mlflow_backend_uri)"
  mkdir -p "$MLFLOW_DIR/artifacts"
  # Host-header check (DNS-rebinding protection in MLflow 3): allow exactly the
  # names a local client uses. CORS keeps MLflow's default (localhost origins).
  local hosts="${MLFLOW_ALLOWED_HOSTS:-$STACK_HOST,$STACK_HOST:$MLFLOW_PORT,localhost,localhost:$MLFLOW_PORT}"
  # MLflow 3's server-side job runner (GenAI evaluation / trace jobs) forks
  # eight extra Python processes (~1.9 GiB RSS); tracking and the model
  # registry do not need it. Set MLFLOW_SERVER_ENABLE_JOB_EXECUTION=true to get it.
  spawn mlflow "$(comp_out mlflow)" "$MLFLOW_DIR" \
    env "MLFLOW_SERVER_ENABLE_JOB_EXECUTION=${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}" \
    "$mlflow_bin" server --backend-store-uri "$backend" \
    --artifacts-destination "$MLFLOW_DIR/artifacts" --serve-artifacts \
    --host "$STACK_HOST" --port "$MLFLOW_PORT" --workers 1 --allowed-hosts "$hosts"
}

launch_redis() {
  preflight_ports redis # again: something may have taken it meanwhile
  command -v redis-server >/dev/null 2>&1 ||
    die "$EXIT_PREREQ" "redis: redis-server not found; run scripts/setup.sh (installs redis-server)"
  check_service_user_access
  mkdir -p "$REDIS_DIR"
  REDIS_DATA_DIR="$REDIS_DIR" render_template "$CRYPTO_CONF_DIR/redis/redis.conf.tmpl" \
    "$REDIS_DIR/redis.conf" REDIS_PORT REDIS_DATA_DIR
  chown_for_service "$REDIS_DIR"
  svc_prefix
  spawn redis "$(comp_out redis)" "$REDIS_DIR" "${SVC_PREFIX[@]}" \
    "$(command -v redis-server)" "$REDIS_DIR/redis.conf"
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

# resolve_components DEFAULT_VAR ARGS... -> sets COMPONENTS (canonical order)
resolve_components() {
  local -n defaults="$1"
  shift
  local wanted=() arg name c
  if [[ $# -eq 0 ]]; then
    wanted=("${defaults[@]}")
  else
    for arg in "$@"; do
      name="$(canonical_name "$arg")" || {
        usage >&2
        die "$EXIT_USAGE" "unknown component '$arg' (known: ${ALL_COMPONENTS[*]})"
      }
      wanted+=("$name")
    done
  fi
  COMPONENTS=()
  for c in "${ALL_COMPONENTS[@]}"; do
    if [[ " ${wanted[*]} " == *" $c "* ]]; then COMPONENTS+=("$c"); fi
  done
}

lock_stack() {
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  exec 8>"$RUN_DIR/.lock"
  if ! flock -n 8; then
    log "waiting for another scripts/stack.sh start/stop to finish …"
    flock -w 300 8 || die "$EXIT_PREREQ" "another scripts/stack.sh start/stop still holds $RUN_DIR/.lock after 300s"
  fi
}

write_ports_file() {
  local v
  for v in KAFKA_PORT KAFKA_CONTROLLER_PORT ES_PORT ES_TRANSPORT_PORT PG_PORT MLFLOW_PORT REDIS_PORT; do
    printf '%s=%s\n' "$v" "${!v}"
  done >"$STACK_PORTS_FILE"
}

write_stack_env() {
  {
    echo "# Written by scripts/stack.sh start; source with: set -a; . $STACK_ENV_FILE; set +a"
    env_lines
  } >"$STACK_ENV_FILE"
}

env_lines() {
  cat <<EOF
KAFKA_BROKERS=$(comp_url kafka)
ELASTICSEARCH_URL=$(comp_url elasticsearch)
DATABASE_URL=$(comp_url postgres)
MLFLOW_TRACKING_URI=$(comp_url mlflow)
REDIS_URL=$(comp_url redis)
EOF
}

# preflight_ports COMP : fail before anything is launched if a port is taken.
preflight_ports() {
  case "$1" in
    kafka)
      require_free_port kafka "$KAFKA_PORT" KAFKA_PORT
      require_free_port "kafka controller" "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT
      ;;
    elasticsearch)
      require_free_port elasticsearch "$ES_PORT" ES_PORT
      require_free_port "elasticsearch transport" "$ES_TRANSPORT_PORT" ES_TRANSPORT_PORT
      ;;
    postgres) require_free_port postgres "$PG_PORT" PG_PORT ;;
    mlflow) require_free_port mlflow "$MLFLOW_PORT" MLFLOW_PORT ;;
    redis) require_free_port redis "$REDIS_PORT" REDIS_PORT ;;
  esac
}

# On a failed start, say what is still running (we do not tear it down: its
# logs may be what you need, and `stop` is one command away).
start_exit_hint() {
  local rc=$?
  if [[ "$rc" -ne 0 ]]; then
    local c running=()
    for c in "${LAUNCHED[@]}"; do
      if is_running "$c"; then running+=("$c"); fi
    done
    if [[ ${#running[@]} -gt 0 ]]; then
      warn "start failed; still running from this attempt: ${running[*]} (scripts/stack.sh stop)"
    fi
  fi
  return "$rc"
}

cmd_start() {
  resolve_components DEFAULT_COMPONENTS "$@"
  # MLflow keeps its runs and registry in PostgreSQL.
  if [[ " ${COMPONENTS[*]} " == *" mlflow "* && " ${COMPONENTS[*]} " != *" postgres "* ]]; then
    resolve_components DEFAULT_COMPONENTS "${COMPONENTS[@]}" postgres
  fi
  lock_stack
  local started_at c
  LAUNCHED=()
  trap start_exit_hint EXIT
  started_at="$(now_ms)"
  for c in "${COMPONENTS[@]}"; do
    if ! is_running "$c"; then preflight_ports "$c"; fi
  done
  write_ports_file
  for c in "${COMPONENTS[@]}"; do
    if is_running "$c"; then
      log "$(comp_label "$c") … already running (pid $(read_pid "$c"), $(comp_url "$c"))"
      continue
    fi
    if [[ "$c" == mlflow ]]; then
      wait_ready postgres
      bootstrap_postgres
    fi
    log "$(comp_label "$c") … starting on $STACK_HOST:$(comp_port "$c")"
    LAUNCHED_AT[$c]="$(now_ms)"
    "launch_$c"
    LAUNCHED+=("$c")
  done
  # Launch everything first, then wait: the JVMs start in parallel.
  for c in "${COMPONENTS[@]}"; do
    wait_ready "$c"
    if [[ "$c" == postgres ]]; then bootstrap_postgres; fi
  done
  write_stack_env
  if [[ ${#LAUNCHED[@]} -gt 0 ]]; then
    log "started ${LAUNCHED[*]} in $(elapsed_s "$started_at")s; env in $STACK_ENV_FILE"
  else
    log "nothing to start; env in $STACK_ENV_FILE"
  fi
}

stop_one() {
  local comp="$1" pid sig=TERM deadline start
  pid="$(read_pid "$comp" || true)"
  if ! is_running "$comp"; then
    rm -f "$(pid_file "$comp")" # stale or absent
    log "$(comp_label "$comp") … not running"
    return
  fi
  # PostgreSQL: SIGINT = "fast" shutdown (SIGTERM would wait for every client,
  # e.g. MLflow's connection pool, to disconnect).
  if [[ "$comp" == postgres ]]; then sig=INT; fi
  start="$(now_ms)"
  log "$(comp_label "$comp") … stopping (pid $pid, SIG$sig)"
  kill_component "$comp" "$sig"
  deadline=$(($(date +%s) + STOP_TIMEOUT))
  while pid_alive "$pid" || group_alive "$pid"; do
    if (($(date +%s) >= deadline)); then
      warn "$comp: still running after ${STOP_TIMEOUT}s, sending SIGKILL"
      kill_component "$comp" KILL
      sleep 1
      break
    fi
    sleep 0.3
  done
  if pid_alive "$pid"; then
    die "$EXIT_START_FAILED" "$comp: pid $pid survived SIGKILL"
  fi
  rm -f "$(pid_file "$comp")"
  log "$(comp_label "$comp") … stopped in $(elapsed_s "$start")s"
}

cmd_stop() {
  resolve_components ALL_COMPONENTS "$@"
  lock_stack
  local i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    stop_one "${COMPONENTS[$i]}"
  done
  # Forget the remembered ports once nothing runs any more.
  local c
  for c in "${ALL_COMPONENTS[@]}"; do
    if is_running "$c"; then return 0; fi
  done
  rm -f "$STACK_PORTS_FILE"
}

# tree_rss_mib PID : resident memory of PID and all its descendants, MiB.
# (Shared memory such as PostgreSQL's shared buffers is counted per process,
# so the PostgreSQL figure overstates a little.)
tree_rss_mib() {
  ps -e -o pid= -o ppid= -o rss= 2>/dev/null | awk -v root="$1" '
    { parent[$1] = $2; rss[$1] = $3 }
    END {
      for (p in parent) {
        q = p
        while (q != "" && q != 0 && q != root) q = parent[q]
        if (q == root) kb += rss[p]
      }
      printf "%d", kb / 1024
    }'
}

# Exit status: 0 when every default component (kafka, elasticsearch, postgres,
# mlflow) is running and healthy, 1 otherwise; scripts can use
# `stack.sh status >/dev/null || stack.sh start`.
cmd_status() {
  local c pid state health rss rc=0
  printf '%-36s %-8s %-9s %-9s %-8s %-16s %s\n' COMPONENT STATE HEALTH PID RSS_MIB LISTEN URL
  for c in "${ALL_COMPONENTS[@]}"; do
    if is_running "$c"; then
      pid="$(read_pid "$c")"
      state=running
      if "healthy_$c"; then health=healthy; else health=starting; fi
      rss="$(tree_rss_mib "$pid")"
    else
      pid=-
      state=stopped
      health=-
      rss=-
    fi
    if [[ " ${DEFAULT_COMPONENTS[*]} " == *" $c "* && "$health" != healthy ]]; then rc=1; fi
    printf '%-36s %-8s %-9s %-9s %-8s %-16s %s\n' "$(comp_label "$c")" "$state" "$health" "$pid" "$rss" \
      "$STACK_HOST:$(comp_port "$c")" "$(comp_url "$c")"
  done
  return "$rc"
}

cmd_env() {
  env_lines | sed 's/^/export /'
}

cmd_logs() {
  [[ $# -ge 1 ]] || {
    usage >&2
    die "$EXIT_USAGE" "logs needs a component"
  }
  local comp follow=0 lines=100
  comp="$(canonical_name "$1")" || die "$EXIT_USAGE" "unknown component '$1'"
  shift
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -f | --follow) follow=1 ;;
      -n) lines="$2"; shift ;;
      *) die "$EXIT_USAGE" "unknown logs option '$1'" ;;
    esac
    shift
  done
  local files=() f
  for f in "$(comp_out "$comp")" "$(comp_log "$comp")"; do
    if [[ -f "$f" && " ${files[*]} " != *" $f "* ]]; then files+=("$f"); fi
  done
  [[ ${#files[@]} -gt 0 ]] || die "$EXIT_PREREQ" "no logs for $comp yet (expected $(comp_log "$comp"))"
  if [[ "$follow" == 1 ]]; then
    exec tail -n "$lines" -F "${files[@]}"
  fi
  tail -n "$lines" "${files[@]}"
}

main() {
  [[ $# -ge 1 ]] || {
    usage >&2
    exit "$EXIT_USAGE"
  }
  local cmd="$1"
  shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    restart)
      cmd_stop "$@"
      cmd_start "$@"
      ;;
    status) cmd_status ;;
    env) cmd_env ;;
    logs) cmd_logs "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      die "$EXIT_USAGE" "unknown command '$cmd'"
      ;;
  esac
}

main "$@"
