#!/bin/sh
# The library installed the way a dependant installs it: `npm pack`, then README's install line in an
# empty project (packages from the registry or npm's cache), strict tsc without skipLibCheck over
# README's TypeScript block, the block run, and `npx sgdlab --version` naming the installed ONNX Runtime.
# Takes minutes (better-sqlite3 compiles where its prebuilt binary cannot be downloaded), so it is not
# part of `npm test` (test/package.test.ts checks the same package offline with this checkout's
# node_modules); run it before a release: npm run check:install
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$repo" && npm pack --pack-destination "$work" >/dev/null)
mkdir "$work/app"
cd "$work/app"
printf '{"name":"app","private":true,"type":"module"}\n' > package.json
# README's install lines for a CPU, on the tarball just packed: the allowScripts decisions, then the install,
# which must then print no npm warning about a dependency's install script.
scripts=$(grep -m1 '^npm pkg set allowScripts\.' "$repo/README.md")
[ -n "$scripts" ] || { echo "check-install: README has no 'npm pkg set allowScripts.…' line" >&2; exit 1; }
line=$(grep -m1 '^ONNXRUNTIME_NODE_INSTALL=skip npm install ' "$repo/README.md")
[ -n "$line" ] || { echo "check-install: README has no 'ONNXRUNTIME_NODE_INSTALL=skip npm install' line" >&2; exit 1; }
cp "$work"/sgdlab-*.tgz .
sh -c "$scripts"
sh -c "$line" 2> install.err || { cat install.err >&2; exit 1; }
cat install.err >&2
# sgdlab's own prepare (the checkout's build) is listed whatever the consumer sets, and does not run here.
if grep 'install-scripts   ' install.err | grep -v 'install-scripts   sgdlab@' | grep -q .; then echo "check-install: npm warned about dependencies' install scripts despite README's allowScripts line" >&2; exit 1; fi
npm install --no-save typescript@5 @types/node@20 >/dev/null
node -e "
  const t = require('fs').readFileSync('$repo/README.md', 'utf8');
  const block = [...t.matchAll(/^\`\`\`ts\n([\s\S]*?)^\`\`\`\$/gm)].map((m) => m[1]).find((b) => b.includes(\"from 'sgdlab'\"));
  require('fs').writeFileSync('readme.ts', block);
"
printf '{"compilerOptions":{"target":"ES2022","module":"NodeNext","moduleResolution":"NodeNext","strict":true,"noEmit":true,"types":["node"]},"files":["readme.ts"]}\n' > tsconfig.json
npx tsc -p .
node --import tsx readme.ts
ort=$(node -p "require('onnxruntime-node/package.json').version")
npx sgdlab --version 2>stderr.txt | tee version.txt
grep -q "ONNX Runtime $ort\$" version.txt || { echo "check-install: --version does not name ONNX Runtime $ort" >&2; exit 1; }
if grep -q 'npm warn' stderr.txt; then cat stderr.txt >&2; echo "check-install: npm warned on npx sgdlab --version" >&2; exit 1; fi
echo "check-install: installed, type-checked (strict, no skipLibCheck), README block ran, ONNX Runtime $ort"
