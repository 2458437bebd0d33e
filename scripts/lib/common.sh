# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this file
# Shared helpers for scripts/setup.sh and scripts/stack.sh.
# Sourced, never executed. Expects the caller to have `set -euo pipefail`.

# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------
CRYPTO_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CRYPTO_REPO_DIR="$(cd "$CRYPTO_SCRIPTS_DIR/.." && pwd)"
CRYPTO_CONF_DIR="$CRYPTO_SCRIPTS_DIR/conf"

# shellcheck source=versions.env
source "$CRYPTO_SCRIPTS_DIR/versions.env"

# Downloads live outside the work tree so every clone on the machine (and CI's
# fresh clone) reuses them. Runtime data lives in the git-ignored .data/.
CRYPTO_CACHE_DIR="${CRYPTO_CACHE_DIR:-${HOME:-/root}/.cache/crypto-predict}"
CRYPTO_DATA_DIR="${CRYPTO_DATA_DIR:-$CRYPTO_REPO_DIR/.data}"
CRYPTO_VENV="${CRYPTO_VENV:-$CRYPTO_REPO_DIR/.venv}"

M2_REPO="$CRYPTO_CACHE_DIR/m2"
KAFKA_LIBS_DIR="$CRYPTO_CACHE_DIR/kafka/$KAFKA_VERSION/libs"

# Unpacked trees the service user must be able to read. They are in the data
# dir, not the cache, because the cache usually sits in root's 0700 home.
OPT_DIR="$CRYPTO_DATA_DIR/opt"
ES_HOME_DIR="$OPT_DIR/elasticsearch-$ELASTICSEARCH_VERSION"

RUN_DIR="$CRYPTO_DATA_DIR/run"      # pid files
LOG_DIR="$CRYPTO_DATA_DIR/logs"     # stdout/stderr of each process
STACK_ENV_FILE="$CRYPTO_DATA_DIR/stack.env"

PG_BIN_DIR="${PG_BIN_DIR:-/usr/lib/postgresql/$POSTGRES_MAJOR/bin}"

# ---------------------------------------------------------------------------
# Ports (everything binds to 127.0.0.1 only)
# ---------------------------------------------------------------------------
STACK_HOST=127.0.0.1
# While a stack is running, the ports it was started with are remembered in
# run/ports.env, so later `status`/`env`/`stop` calls without the same
# variables still talk to the right ports. Explicit variables win.
STACK_PORTS_FILE="$CRYPTO_DATA_DIR/run/ports.env"
if [[ -f "$STACK_PORTS_FILE" ]]; then
  while IFS='=' read -r _name _value; do
    if [[ "$_name" =~ ^[A-Z_]+_PORT$ && "$_value" =~ ^[0-9]+$ && -z "${!_name:-}" ]]; then
      printf -v "$_name" '%s' "$_value"
    fi
  done <"$STACK_PORTS_FILE"
  unset _name _value
fi
# STACK_PORT_OFFSET shifts every default port at once (e.g. 10000 for a second
# stack, such as CI's clone, next to a developer's).
STACK_PORT_OFFSET="${STACK_PORT_OFFSET:-0}"
KAFKA_PORT="${KAFKA_PORT:-$((19092 + STACK_PORT_OFFSET))}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
ES_PORT="${ES_PORT:-$((19200 + STACK_PORT_OFFSET))}"
ES_TRANSPORT_PORT="${ES_TRANSPORT_PORT:-$((ES_PORT + 100))}"
PG_PORT="${PG_PORT:-$((15432 + STACK_PORT_OFFSET))}"
MLFLOW_PORT="${MLFLOW_PORT:-$((15000 + STACK_PORT_OFFSET))}"
REDIS_PORT="${REDIS_PORT:-$((16379 + STACK_PORT_OFFSET))}"

KAFKA_HEAP="${KAFKA_HEAP:-1g}"
ES_HEAP="${ES_HEAP:-1g}"

# ---------------------------------------------------------------------------
# Exit codes (documented in docs/adr/0001)
# ---------------------------------------------------------------------------
EXIT_USAGE=2
EXIT_PORT_IN_USE=3
EXIT_PREREQ=4        # java/postgres/venv missing, setup not run, ...
EXIT_START_FAILED=5  # process died or health check timed out
EXIT_DOWNLOAD=6      # a registry download failed

# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
LOG_TAG="${LOG_TAG:-stack}"

log() { printf '[%s] %s\n' "$LOG_TAG" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$LOG_TAG" "$*" >&2; }
# die EXIT_CODE message...
die() {
  local code="$1"
  shift
  printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2
  exit "$code"
}

now_ms() { date +%s%3N; }
# elapsed_s START_MS -> "12.3"
elapsed_s() { awk -v s="$1" -v e="$(now_ms)" 'BEGIN { printf "%.1f", (e - s) / 1000 }'; }

# render_template SRC DEST NAME... : copy SRC to DEST replacing @@NAME@@ with
# the value of the shell variable NAME. Plain bash so no envsubst is needed.
render_template() {
  local src="$1" dest="$2" content name
  shift 2
  content="$(<"$src")"
  for name in "$@"; do
    content="${content//@@${name}@@/${!name}}"
  done
  if [[ "$content" == *@@*@@* ]]; then
    die "$EXIT_PREREQ" "template $src has unreplaced placeholders: $(grep -o '@@[A-Z_]*@@' <<<"$content" | sort -u | tr '\n' ' ')"
  fi
  printf '%s\n' "$content" >"$dest"
}

# ---------------------------------------------------------------------------
# Service user: Elasticsearch and PostgreSQL refuse to run as root, so when we are
# root they run as a dedicated system user. As a normal user they run as you.
# ---------------------------------------------------------------------------
CRYPTO_SERVICE_USER="${CRYPTO_SERVICE_USER:-cryptostack}"

is_root() { [[ "$(id -u)" -eq 0 ]]; }

service_user() {
  if is_root; then echo "$CRYPTO_SERVICE_USER"; else id -un; fi
}

# as_service_user CMD... : exec-style (keeps the pid) privilege drop.
# setpriv execs directly, unlike runuser/su which keep a parent process.
as_service_user() {
  if is_root; then
    setpriv --reuid="$CRYPTO_SERVICE_USER" --regid="$CRYPTO_SERVICE_USER" --init-groups \
      env HOME="$CRYPTO_DATA_DIR" USER="$CRYPTO_SERVICE_USER" LOGNAME="$CRYPTO_SERVICE_USER" "$@"
  else
    "$@"
  fi
}

# chown_for_service DIR... : make dirs owned by the service user (root only).
chown_for_service() {
  if is_root; then chown -R "$CRYPTO_SERVICE_USER:$CRYPTO_SERVICE_USER" "$@"; fi
}

# The service user must be able to reach the data dir (e.g. not inside root's
# 0700 home). Checked early so the error is clear instead of a Java stack trace.
check_service_user_access() {
  is_root || return 0
  id "$CRYPTO_SERVICE_USER" >/dev/null 2>&1 ||
    die "$EXIT_PREREQ" "system user '$CRYPTO_SERVICE_USER' does not exist; run scripts/setup.sh"
  if ! setpriv --reuid="$CRYPTO_SERVICE_USER" --regid="$CRYPTO_SERVICE_USER" --init-groups \
    test -x "$CRYPTO_DATA_DIR"; then
    die "$EXIT_PREREQ" "user '$CRYPTO_SERVICE_USER' cannot enter $CRYPTO_DATA_DIR (a parent directory is not world-executable); set CRYPTO_DATA_DIR to a reachable path"
  fi
}

# ---------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------

# port_listening PORT : true if something listens on 127.0.0.1/any:PORT (TCP).
port_listening() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# port_holder PORT : best-effort "pid 123 (cmdline)" of the listener.
port_holder() {
  local port="$1" pid="" line
  if command -v ss >/dev/null 2>&1; then
    line="$(ss -Hltnp "sport = :$port" 2>/dev/null | head -n1)"
    pid="$(grep -o 'pid=[0-9]*' <<<"$line" | head -n1 | cut -d= -f2 || true)"
  fi
  if [[ -z "$pid" ]] && command -v lsof >/dev/null 2>&1; then
    pid="$(lsof -nP -t -iTCP:"$port" -sTCP:LISTEN 2>/dev/null | head -n1 || true)"
  fi
  if [[ -n "$pid" ]]; then
    printf 'pid %s (%s)' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)"
  else
    printf 'an unknown process (run as root, or install iproute2/lsof, to see which)'
  fi
}

# require_free_port COMPONENT PORT VARNAME
require_free_port() {
  local comp="$1" port="$2" var="$3"
  if port_listening "$port"; then
    die "$EXIT_PORT_IN_USE" "$comp: port 127.0.0.1:$port is already in use by $(port_holder "$port"). Stop it, or pick another port with $var=<port>."
  fi
}

# tcp_open PORT : true if a TCP connect to 127.0.0.1:PORT succeeds.
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------------------
# Java
# ---------------------------------------------------------------------------

# java_major JAVA_BIN -> "17"
java_major() {
  "$1" -XshowSettings:properties -version 2>&1 |
    awk -F'= ' '/java.specification.version/ {print $2; exit}'
}

# system_java WHO : the Java 17+ binary for WHO ("Kafka 4.4.0", ...), from
# $JAVA_HOME/bin/java or java on PATH.
system_java() {
  local who="$1" bin major
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    bin="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    bin="$(command -v java)"
  else
    die "$EXIT_PREREQ" "Java is missing: $who needs Java 17+ (install openjdk-17-jre-headless or run scripts/setup.sh, or set JAVA_HOME)"
  fi
  major="$(java_major "$bin")"
  if [[ -z "$major" || "${major%%.*}" -lt 17 ]]; then
    die "$EXIT_PREREQ" "$who needs Java 17+, but $bin is Java '${major:-unknown}'"
  fi
  echo "$bin"
}
