#!/usr/bin/env bash
# Runs every OrleansAof test on a fresh machine: installs the servers the tests need (Redis, s3rver), builds the
# solution, runs each test project, stops anything it started, and ends with "N passed, N failed, N skipped".
#
#   ./test.sh                 the default suite (all but the long stress runs)
#   ./test.sh --stress        also the long runs: 200+ SIGKILL rounds, the 30-minute stress harness, many cluster rounds
#   ./test.sh --filter EXPR   pass a dotnet test filter, e.g. --filter "Category=fast"
#
# Test categories (xUnit traits): fast, integration, stress, fault-injection. See README.md.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
stress=0
filter=""
while [ $# -gt 0 ]; do
  case "$1" in
    --stress) stress=1 ;;
    --filter) filter="$2"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '\n== %s\n' "$*"; }

# 1. Servers the tests start on 127.0.0.1 (the fixtures start and stop their own instances by PID).
log "test servers"
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1 \
      || echo "warning: could not install redis-server; Redis tests will fail" >&2
  else
    echo "warning: redis-server is missing (apt-get install redis-server); Redis tests will fail" >&2
  fi
fi
command -v redis-server >/dev/null 2>&1 && redis-server --version | head -1
# kubectl renders the k8s/ kustomizations offline for the manifest tests (they are skipped, saying so, without it).
if ! command -v kubectl >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl) >/dev/null 2>&1 \
    || echo "warning: could not install kubectl; the k8s manifest tests will be skipped" >&2
fi
command -v kubectl >/dev/null 2>&1 && echo "kubectl $(kubectl version --client 2>/dev/null | head -1)"
if [ ! -x test/servers/node_modules/.bin/s3rver ]; then
  (cd test/servers && npm ci --no-audit --no-fund --loglevel=error) || echo "warning: npm ci for s3rver failed; S3 tests will fail" >&2
fi
[ -x test/servers/node_modules/.bin/s3rver ] && echo "s3rver $(node -p "require('./test/servers/node_modules/s3rver/package.json').version")"
export AOF_S3RVER="$root/test/servers/node_modules/.bin/s3rver"
export AOF_STRESS="$stress"

# Anything a fixture started is recorded under .test-servers/*.pid; stop leftovers from an interrupted run.
stop_servers() {
  for f in "$root"/.test-servers/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    rm -f "$f"
  done
}
stop_servers
trap stop_servers EXIT
mkdir -p "$root/.test-servers"
export AOF_TEST_SERVERS_DIR="$root/.test-servers"

# 2. Build once.
log "build"
if ! dotnet build OrleansAof.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# 3. Every test project.
results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
status=0
for proj in test/*/*Tests.csproj; do
  name=$(basename "$proj" .csproj)
  log "$name"
  args=(test "$proj" -c Release --no-build --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results"
        --logger "console;verbosity=minimal" --blame-hang-timeout 10m)
  [ -n "$filter" ] && args+=(--filter "$filter")
  dotnet "${args[@]}" || status=1
done

# 3b. The packages: pack into artifacts/packages, install the aof tool from there, build the package-only consumer made of
#     the README's snippets and run its TestingHost test (packages.trx and Consumer.Tests.trx count below).
log "packages and the package-only consumer (test/consumer/run.sh)"
bash test/consumer/run.sh --no-build "$results" || status=1

# 4. The long stress harness, only behind the switch.
if [ "$stress" = "1" ] && [ -d test/OrleansAof.StressHarness ]; then
  log "stress harness (30 minutes)"
  if dotnet run --project test/OrleansAof.StressHarness -c Release --no-build -- --duration 00:30:00 --in-process; then
    echo '<Counters total="1" executed="1" passed="1" failed="0" />' > "$results/stress-harness.trx"
  else
    echo '<Counters total="1" executed="1" passed="0" failed="1" />' > "$results/stress-harness.trx"; status=1
  fi
fi

# 5. The multi-process cluster scenarios: how long each took and how many appends it checked.
grep -ho "SCENARIO [^<]*" "$results"/*.trx 2>/dev/null | sed 's/^SCENARIO /scenario: /' | sort -u

# 6. The count.
sum() { grep -ho "<Counters [^>]*" "$results"/*.trx 2>/dev/null | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' | awk '{s+=$1} END {print s+0}'; }
passed=$(sum passed); failed=$(sum failed); total=$(sum total); executed=$(sum executed)
passed=${passed:-0}; failed=${failed:-0}; total=${total:-0}; executed=${executed:-0}
skipped=$(( total - executed ))
if [ "$status" != "0" ] && [ "$failed" = "0" ]; then failed=1; fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = "0" ]
