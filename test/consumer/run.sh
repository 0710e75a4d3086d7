#!/usr/bin/env bash
# The packages as a user gets them: packs every OrleansAof package into a local folder feed (artifacts/packages),
# installs the `aof` tool from it and runs `aof --help`, builds the package-only consumer solution (test/consumer: a
# silo, a client, the storage engine and a TestingHost test, made from the README's snippets) against that feed, and
# runs the consumer's tests.
#
#   test/consumer/run.sh [--no-build] [RESULTS_DIR]
#
# --no-build packs what the last Release build of OrleansAof.sln produced (test.sh builds it first). RESULTS_DIR
# (default artifacts/test-results) receives Consumer.Tests.trx and packages.trx, in which pack, tool and consumer build
# count as one test each, so that a failure shows in test.sh's "N passed, N failed" line. Exit 0 only if all passed.
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
ids=(OrleansAof.Storage OrleansAof.Abstractions OrleansAof.Server OrleansAof.Client OrleansAof.Archive.S3 OrleansAof.Testing OrleansAof.Tool)
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
  local total=3
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
finish "$failed"
