#!/usr/bin/env bash
# Packs the trainer library (with the Stepwise analyzer inside) into a local folder feed, builds
# samples/AnalyzerSample against that package, and checks that `dotnet build` shows SW1001.
#   scripts/test-analyzer-package.sh          exit 0 when the warning shows, 1 otherwise
# Uses a fresh package version each run so NuGet's global cache never serves a stale copy, and removes
# those versions from the cache afterwards.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="0.0.0-local.$(date +%s).$$"
work="$(mktemp -d /tmp/stepwise-analyzer-package.XXXXXX)"
feed="$work/feed"
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
cleanup() {
  rm -rf "$work"
  for p in stepwise.trainer stepwise.core stepwise.tokenizers stepwise.jinja stepwise.trainer.data; do rm -rf "${packages:?}/$p/$version"; done
}
trap cleanup EXIT
say() { echo "test-analyzer-package: $*" >&2; }

# Pack from a copy of the sources: packing with another version rebuilds Core and the trainer, and doing that in
# the working tree would swap assemblies under tests and servers that run at the same time.
src="$work/src"
mkdir -p "$src"
(cd "$root" && git ls-files -z src Directory.Build.props Directory.Packages.props | tar --null -T - -cf -) | tar -C "$src" -xf -
say "packing Stepwise.Core, Stepwise.Tokenizers, Stepwise.Jinja, Stepwise.Trainer.Data and Stepwise.Trainer $version into $feed (from a copy in $src)"
dotnet pack "$src/src/Analyzer/Stepwise.Core" -c Release -o "$feed" -p:Version="$version" --nologo -v q >&2
# the trainer references the tokenizer and data libraries (the data library the Jinja one), so its package depends on theirs
dotnet pack "$src/src/Trainer/Stepwise.Tokenizers" -c Release -o "$feed" -p:Version="$version" --nologo -v q >&2
dotnet pack "$src/src/Trainer/Stepwise.Jinja" -c Release -o "$feed" -p:Version="$version" --nologo -v q >&2
dotnet pack "$src/src/Trainer/Stepwise.Trainer.Data" -c Release -o "$feed" -p:Version="$version" --nologo -v q >&2
dotnet pack "$src/src/Trainer/Stepwise.Trainer" -c Release -o "$feed" -p:Version="$version" --nologo -v q >&2

nupkg="$feed/Stepwise.Trainer.$version.nupkg"
listing="$(unzip -l "$nupkg")"
for f in Stepwise.Roslyn.dll Stepwise.Roslyn.CodeFixes.dll Stepwise.Core.dll FluentValidation.dll; do
  if ! grep -q "analyzers/dotnet/cs/$f" <<<"$listing"; then
    say "FAIL: $nupkg has no analyzers/dotnet/cs/$f"; exit 1
  fi
done
say "package holds analyzers/dotnet/cs/{Stepwise.Roslyn,Stepwise.Roslyn.CodeFixes,Stepwise.Core}.dll"

cp -r "$root/samples/AnalyzerSample" "$work/sample"
rm -rf "$work/sample/bin" "$work/sample/obj"
cat >"$work/sample/nuget.config" <<CFG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
CFG

say "building samples/AnalyzerSample against Stepwise.Trainer $version"
log="$work/build.log"
set +e
dotnet build "$work/sample/AnalyzerSample.csproj" -p:StepwiseVersion="$version" --nologo -v q >"$log" 2>&1
rc=$?
set -e
grep -E "(warning|error) SW[0-9]{4}" "$log" | sed "s#$work/sample/##" | sort -u || true
if [ $rc -ne 0 ]; then
  say "FAIL: the sample did not build (exit $rc)"; cat "$log" >&2; exit 1
fi
if grep -q "AD0001" "$log"; then
  say "FAIL: the analyzer threw (AD0001); a dependency is probably missing from analyzers/dotnet/cs"; cat "$log" >&2; exit 1
fi
if ! grep -q "warning SW1001" "$log"; then
  say "FAIL: no SW1001 warning in the build output"; cat "$log" >&2; exit 1
fi
say "OK: dotnet build shows SW1001 from the packed analyzer"
