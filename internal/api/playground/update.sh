#!/usr/bin/env bash
# Fetches the playground's third-party files from the npm registry and
# rewrites assets/vendor/, VERSIONS and LICENSES beside this script.
# Change a version below, run `bash internal/api/playground/update.sh`,
# then `go test ./internal/api/...` (the browser tests load the result).
#
# graphiql 4.x is the last line that ships a UMD build usable without a
# bundler (5.x is ESM-only, with Monaco and web workers), and it needs
# React 18 (React 19 ships no UMD build). Its bundle already contains
# graphql-ws (the graphql-transport-ws client), so that is not fetched.
set -euo pipefail

GRAPHIQL=4.1.2
EXPLORER=4.0.6
REACT=18.2.0

here=$(cd "$(dirname "$0")" && pwd)
vendor=$here/assets/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package@version, then "file in the package=name under assets/vendor" pairs.
packages=(
	"react@$REACT umd/react.production.min.js=react.production.min.js"
	"react-dom@$REACT umd/react-dom.production.min.js=react-dom.production.min.js"
	"graphiql@$GRAPHIQL graphiql.min.js=graphiql.min.js graphiql.min.css=graphiql.min.css"
	"@graphiql/plugin-explorer@$EXPLORER dist/index.umd.js=plugin-explorer.umd.js dist/style.css=plugin-explorer.css"
)

rm -rf "$vendor.new"
mkdir -p "$vendor.new"
versions=$work/VERSIONS
licenses=$work/LICENSES
{
	echo "# Third-party files in assets/vendor/, written by update.sh; do not edit."
	echo "# package version licence source-repository npm-sha512-integrity"
} >"$versions"
echo "Licences of the third-party files in assets/vendor/ (written by update.sh)." >"$licenses"

for entry in "${packages[@]}"; do
	read -r spec files <<<"$entry"
	name=${spec%@*}
	version=${spec##*@}
	dir=$work/$(echo "$name" | tr '/@' '__')
	mkdir -p "$dir"
	tgz=$(cd "$dir" && npm pack --silent "$spec")
	tar -xzf "$dir/$tgz" -C "$dir"
	pkg=$dir/package
	integrity=$(npm view "$spec" dist.integrity)
	license=$(node -p "require('$pkg/package.json').license")
	# The source repository, as the package names it (git+https://…).
	repo=$(node -p "const r = require('$pkg/package.json').repository; (r.url || r).replace(/^git\\+/, '').replace(/\\.git$/, '')")
	for pair in $files; do
		cp "$pkg/${pair%%=*}" "$vendor.new/${pair##*=}"
	done
	echo "$name $version $license $repo $integrity" >>"$versions"
	{
		echo
		echo "=== $name $version ($license)"
		echo "Package: npm $spec (integrity $integrity)"
		echo "Source: $repo"
		echo "Files: $files"
		if [ -f "$pkg/LICENSE" ]; then
			echo
			cat "$pkg/LICENSE"
		else
			# @graphiql/plugin-explorer ships no licence file: it is in
			# the graphiql monorepo, under that repository's LICENSE.
			echo "The package ships no licence file; it is published from"
			echo "https://github.com/graphql/graphiql under that repository's"
			echo "$license licence (the same text as graphiql's, above)."
		fi
	} >>"$licenses"
done
{
	echo
	echo "graphiql.min.js bundles its own dependencies (CodeMirror 5, Radix UI,"
	echo "graphql-js, graphql-ws, markdown-it and others), each MIT-licensed;"
	echo "see graphiql's package.json at the version above."
} >>"$licenses"

rm -rf "$vendor"
mv "$vendor.new" "$vendor"
cp "$versions" "$here/VERSIONS"
cp "$licenses" "$here/LICENSES"
echo "updated $vendor:"
cat "$here/VERSIONS"
