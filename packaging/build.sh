#!/usr/bin/env bash
# Builds the .deb and the .rpm of keepalived-rs from a clean checkout.
#
#   packaging/build.sh            -> target/packages/keepalived-rs_*.deb, keepalived-rs-*.rpm
#
# Installs cargo-deb and cargo-generate-rpm (`cargo install --locked`) when
# missing, builds the release binary, and fills packaging/staging/ with what
# the package metadata in crates/daemon/Cargo.toml refers to: the man pages
# (the committed roff of packaging/man/, compressed), the stripped binary, the bash and zsh
# completions (printed by the binary) and the Debian changelog. The output
# directory is $CARGO_TARGET_DIR/packages (default target/packages).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
target_dir=${CARGO_TARGET_DIR:-$root/target}
out=$target_dir/packages
stage=$root/packaging/staging

for tool in cargo-deb cargo-generate-rpm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        cargo install --locked "$tool"
    fi
done

cargo build --release --locked -p keepalived-rs
bin=$target_dir/release/keepalived-rs

rm -rf "$stage"
mkdir -p "$stage" "$out"
# Stripped copy for both packages (the release profile keeps line tables
# for backtraces during development; Debian policy wants installed binaries
# stripped, and it is most of the package size).
strip --strip-unneeded --remove-section=.comment --remove-section=.note -o "$stage/keepalived-rs" "$bin"
"$bin" --completions bash >"$stage/keepalived-rs.bash"
"$bin" --completions zsh >"$stage/_keepalived-rs"
# -n: no name or time stamp in the gzip header, so the packages are reproducible.
gzip -9n <packaging/man/keepalived-rs.8 >"$stage/keepalived-rs.8.gz"
gzip -9n <packaging/man/keepalived-rs.conf.5 >"$stage/keepalived-rs.conf.5.gz"

# A Debian changelog for the package version; the project's history is in
# CHANGELOG.md. Dated by the last commit so rebuilds give the same file.
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
date=$(git log -1 --format=%cD 2>/dev/null || date -R -d @0)
cat >"$stage/changelog" <<CHANGELOG
keepalived-rs (${version}-1) unstable; urgency=medium

  * Package built from keepalived-rs ${version}; see CHANGELOG.md in the
    source tree for the changes.

 -- keepalived-rs developers <keepalived-rs@example.invalid>  ${date}
CHANGELOG

cargo deb -p keepalived-rs --no-build --output "$out"
cargo generate-rpm -p crates/daemon --target-dir "$target_dir" --output "$out"
ls -l "$out"
