#!/usr/bin/env bash
# The packages as a user gets them: packs every OrleansAof package into a local folder feed (artifacts/packages),
# installs the `aof` tool from it and runs `aof --help`, builds the package-only consumer solution (test/consumer: a
# silo, a client, the storage engine and a TestingHost test, made from the README's snippets) against that feed, runs the
# consumer's tests, and runs the README's client program as written against the silo host (built by OrleansAof.sln):
# once against a silo host with another cluster id (it must fail at start naming the ids), once against the default one.
#
#   test/consumer/run.sh [--no-build] [RESULTS_DIR]
#
# --no-build packs what the last Release build of OrleansAof.sln produced (test.sh builds it first). RESULTS_DIR
# (default artifacts/test-results) receives Consumer.Tests.trx and packages.trx, in which pack, tool and consumer build
# count as one test each (the README client program too), so that a failure shows in test.sh's "N passed, N failed" line. Exit 0 only if all passed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
pack_args=()
results="$root/artifacts/test-results"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) pack_args+=(--no-build) ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) results="$1" ;;
  esac
  shift
done

feed="$root/artifacts/packages"
work="$root/artifacts/consumer"
ids=(OrleansAof.Storage OrleansAof.Abstractions OrleansAof.Server OrleansAof.Streams OrleansAof.Client OrleansAof.Archive.S3 OrleansAof.Testing OrleansAof.Tool)
rm -rf "$feed" "$work"
mkdir -p "$feed" "$work" "$results"
rm -f "$results/packages.trx" "$results/Consumer.Tests.trx"
# The consumer restores into its own package folder, deleted above, so a package of the same version cached by an
# earlier run is never used; everything else it needs comes from the user's package folder, read-only.
global_packages="$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')"
consumer_env=(env NUGET_PACKAGES="$work/nuget-packages")
restore_args=(-p:RestoreFallbackFolders="$global_packages")

passed=0
failed=0
started=$SECONDS
timings=""
finish() {
  local total=4
  printf '<?xml version="1.0" encoding="utf-8"?>\n<TestRun name="packages"><ResultSummary outcome="%s"><Counters total="%d" executed="%d" passed="%d" failed="%d" /></ResultSummary></TestRun>\n' \
    "$([ "$failed" = 0 ] && echo Completed || echo Failed)" "$total" "$total" "$passed" "$((total - passed))" > "$results/packages.trx"
  echo "packages step: $((SECONDS - started)) s ($timings)"
  exit "$1"
}
timed() {  # timed NAME COMMAND...: runs the command, records its duration
  local name="$1" t0=$SECONDS; shift
  "$@"; local rc=$?
  timings="$timings${timings:+, }$name $((SECONDS - t0)) s"
  return $rc
}

# 1. Pack every project under src/ (the only packable ones) into the feed; every package id with its symbols.
echo "pack -> artifacts/packages"
if ! timed pack dotnet pack OrleansAof.sln -c Release "${pack_args[@]}" -p:PackageOutputPath="$feed" -nologo -clp:ErrorsOnly; then
  echo "FAILED: dotnet pack"; failed=1; finish 1
fi
version=""
for id in "${ids[@]}"; do
  nupkg=$(ls "$feed/$id".[0-9]*.nupkg 2>/dev/null | head -1)
  if [ -z "$nupkg" ] || [ ! -e "${nupkg%.nupkg}.snupkg" ]; then
    echo "FAILED: no $id package with symbols in artifacts/packages"; failed=1; finish 1
  fi
  v=$(basename "$nupkg" .nupkg); v=${v#"$id".}
  if [ -n "$version" ] && [ "$v" != "$version" ]; then
    echo "FAILED: $id has version $v, others $version"; failed=1; finish 1
  fi
  version=$v
done
# A tag is a release: on a commit tagged vX.Y.Z the packages are X.Y.Z; with no tag in the history, 0.0.0-alpha.0.N.
if tag=$(git describe --tags --exact-match --match 'v[0-9]*' HEAD 2>/dev/null); then
  [ "$version" = "${tag#v}" ] || { echo "FAILED: HEAD is tagged $tag but the packages are $version"; failed=1; finish 1; }
elif ! git describe --tags --match 'v[0-9]*' HEAD >/dev/null 2>&1; then
  case "$version" in 0.0.0-alpha.0.*) ;; *) echo "FAILED: no tag in the history but the packages are $version, not 0.0.0-alpha.0.N"; failed=1; finish 1 ;; esac
fi
echo "$version" > "$feed/version.txt"
echo "packed ${#ids[@]} packages, version $version"
passed=$((passed + 1))

# 2. The tool installs from the feed and runs.
echo "dotnet tool install OrleansAof.Tool --version $version"
if timed tool "${consumer_env[@]}" dotnet tool install OrleansAof.Tool --version "$version" --tool-path "$work/tools" --add-source "$feed" \
  && "$work/tools/aof" --help > "$work/aof-help.txt" 2>&1 && grep -q "inspect" "$work/aof-help.txt"; then
  passed=$((passed + 1))
else
  echo "FAILED: the aof tool did not install from artifacts/packages or 'aof --help' failed:"; cat "$work/aof-help.txt" 2>/dev/null
  failed=1
fi

# 3. The consumer builds against the packages only: a README snippet that does not compile fails here, with its line.
echo "build test/consumer/Consumer.slnx (package references only)"
if ! timed build "${consumer_env[@]}" dotnet build test/consumer/Consumer.slnx -c Release "${restore_args[@]}" -p:OrleansAofVersion="$version" -nologo -clp:ErrorsOnly; then
  echo "FAILED: the package consumer does not build"; failed=1; finish 1
fi
passed=$((passed + 1))

# 4. Its tests (the README's TestingHost snippet), counted by their own .trx.
if ! timed test "${consumer_env[@]}" dotnet test test/consumer/Consumer.Tests -c Release --no-build --nologo \
  --logger "trx;LogFileName=Consumer.Tests.trx" --results-directory "$results" --logger "console;verbosity=minimal"; then
  failed=1
fi

# 5. The README's client program, as written, against the silo host. Its only input is the gateway port (Aof:GatewayPort,
# the silo host's key), because the machine may run other silos on the default one.
silo_pid=""
stop_silo() {
  if [ -n "$silo_pid" ]; then kill "$silo_pid" 2>/dev/null; wait "$silo_pid" 2>/dev/null; silo_pid=""; fi
}
trap stop_silo EXIT
free_port() {  # a port nothing listens on
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
ready() {  # ready PORT: /health/ready answers 200
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET /health/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  IFS= read -r -t 5 line <&3
  exec 3<&- 3>&-
  case "$line" in *" 200 "*) return 0 ;; *) return 1 ;; esac
}
start_silo() {  # start_silo CLUSTER_ID: the silo host on free ports, its data under artifacts/consumer/silo
  gateway=$(free_port); http=$(free_port); silo_port=$(free_port)
  env Aof__ClusterId="$1" Aof__DataRoot="$work/silo/data" Aof__ArchivePath="$work/silo/archive" Aof__SiloPort="$silo_port" \
    Aof__GatewayPort="$gateway" Aof__HttpPort="$http" dotnet "$host_dll" > "$work/silo-$1.log" 2>&1 &
  silo_pid=$!
  for _ in $(seq 1 120); do
    ready "$http" 2>/dev/null && return 0
    kill -0 "$silo_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "FAILED: the silo host did not become ready:"; tail -20 "$work/silo-$1.log"; return 1
}
readme_client() {
  host_dll="$root/silo-host/OrleansAof.SiloHost/bin/Release/net10.0/OrleansAof.SiloHost.dll"
  local client_dll="$work/build/bin/Consumer.Client/release/Consumer.Client.dll" out="$work/readme-client.txt" t0 rc
  [ -e "$host_dll" ] || { echo "FAILED: no silo host at $host_dll (build OrleansAof.sln -c Release)"; return 1; }
  # a) Other cluster id: the README's client (ids 'aof') fails at start, soon, naming the ids.
  start_silo other-cluster || return 1
  t0=$SECONDS
  # (The program ends with an unhandled exception: the shell's own "Aborted" note about the subshell goes to the file too.)
  { (timeout 60 dotnet "$client_dll" readme-client "--Aof:GatewayPort=$gateway") > "$out" 2>&1; } 2>> "$out"; rc=$?
  stop_silo
  if [ "$rc" = 0 ] || [ "$rc" = 124 ] || ! grep -q "ClusterConnectionException" "$out" || ! grep -q "cluster id 'aof'" "$out" || [ $((SECONDS - t0)) -gt 40 ]; then
    echo "FAILED: against a silo host with another cluster id, the README client did not fail at start naming the ids (exit $rc after $((SECONDS - t0)) s):"; head -20 "$out"; return 1
  fi
  # b) The silo host's defaults: the program runs to its end and prints what it appended, read and tailed.
  start_silo aof || return 1
  timeout 120 dotnet "$client_dll" readme-client "--Aof:GatewayPort=$gateway" > "$out" 2>&1; rc=$?
  stop_silo
  local partition
  partition=$(sed -n 's/^appended 0 to partition \([0-7]\); read 1 record(s) from it$/\1/p' "$out")
  if [ "$rc" != 0 ] || [ -z "$partition" ] || ! grep -qx "0: order 1" "$out" || ! grep -qx "1: order 2" "$out"; then
    echo "FAILED: the README client program did not run as written against the silo host (exit $rc):"; cat "$out"; return 1
  fi
  echo "README client program: appended, read and tailed partition $partition of 'orders' against the silo host"
}
echo "run the README client program against the silo host"
if timed readme-client readme_client; then
  passed=$((passed + 1))
else
  failed=1
fi
finish "$failed"
