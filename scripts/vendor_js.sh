#!/usr/bin/env bash
# Re-vendor the chat page's JavaScript from npm into static/vendor/<lib>/ (`make vendor-js`).
#
# The app runs offline and has no build step: each library is taken from its npm tarball
# (`npm pack`, which checks the registry's integrity hash), as the browser ES module its
# authors ship, with its licence file. Only the source-map comment is removed (the maps are
# not vendored, and Django's ManifestStaticFilesStorage fails on a missing map). Bump a version
# below, run this, read the diff, run the browser tests. static/vendor/README.md lists what is here.
set -euo pipefail
cd "$(dirname "$0")/.."

MARKDOWN_IT=15.0.3
TASKLIST=0.23.2          # @mdit/plugin-tasklist
DOMPURIFY=3.5.0
HIGHLIGHT=11.12.0        # @highlightjs/cdn-assets (the browser build of highlight.js)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "markdown-it@$MARKDOWN_IT" "@mdit/plugin-tasklist@$TASKLIST" \
  "dompurify@$DOMPURIFY" "@highlightjs/cdn-assets@$HIGHLIGHT" >/dev/null)
for tgz in "$work"/*.tgz; do
  mkdir -p "${tgz%.tgz}" && tar xzf "$tgz" -C "${tgz%.tgz}"
done

put() {  # put <source file> <destination under static/vendor>
  mkdir -p "static/vendor/$(dirname "$2")"
  sed -e '/^\/\/# sourceMappingURL=/d' -e 's#/\*\# sourceMappingURL=[^*]*\*/##' "$1" > "static/vendor/$2"
}

rm -rf static/vendor/markdown-it static/vendor/mdit-plugin-tasklist static/vendor/dompurify static/vendor/highlight.js
src="$work/markdown-it-$MARKDOWN_IT/package"
put "$src/dist/browser/markdown-it.esm.min.mjs" markdown-it/markdown-it.esm.min.js
cp "$src/LICENSE" static/vendor/markdown-it/LICENSE
src="$work/mdit-plugin-tasklist-$TASKLIST/package"
put "$src/dist/index.js" mdit-plugin-tasklist/index.js
cp "$src/LICENSE" static/vendor/mdit-plugin-tasklist/LICENSE
src="$work/dompurify-$DOMPURIFY/package"
put "$src/dist/purify.es.mjs" dompurify/purify.es.js
cp "$src/LICENSE" "$src/LICENSE-MPL" static/vendor/dompurify/  # Apache-2.0 OR MPL-2.0: both texts
src="$work/highlightjs-cdn-assets-$HIGHLIGHT/package"
put "$src/es/highlight.min.js" highlight.js/highlight.min.js
cp "$src/LICENSE" static/vendor/highlight.js/LICENSE
echo "vendored: markdown-it $MARKDOWN_IT, @mdit/plugin-tasklist $TASKLIST, dompurify $DOMPURIFY, highlight.js $HIGHLIGHT"
