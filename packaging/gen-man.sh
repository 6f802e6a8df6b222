#!/usr/bin/env bash
# Renders docs/man/*.md to roff in packaging/man/ with pandoc.
#   packaging/gen-man.sh          regenerate the committed pages
#   packaging/gen-man.sh --check  fail if the committed pages differ from a
#                                 fresh rendering (CI)
# The output depends only on the markdown and pandoc's version: the date is
# the one in each page's title block, and Debian 12's pandoc (2.17) is the
# version the committed pages are made with.
set -euo pipefail

cd "$(dirname "$0")/.."
check=false
[ "${1:-}" = --check ] && check=true

if ! command -v pandoc >/dev/null 2>&1; then
    echo "gen-man.sh: pandoc is missing (apt-get install pandoc)" >&2
    exit 1
fi

out=packaging/man
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for md in docs/man/*.md; do
    page=$(basename "$md" .md)
    pandoc --standalone --from markdown --to man "$md" -o "$tmp/$page"
    if $check; then
        if ! diff -u "$out/$page" "$tmp/$page"; then
            echo "gen-man.sh: $out/$page is stale; run packaging/gen-man.sh" >&2
            status=1
        fi
    else
        mkdir -p "$out"
        cp "$tmp/$page" "$out/$page"
    fi
done
exit $status
