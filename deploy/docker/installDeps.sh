#!/bin/sh
# Installs the production dependencies of the llmp CLI (cmd/llmp and the workspace packages it
# uses) into the current checkout, from the lockfile. The Dockerfile runs this, and
# deploy/docker/dockerfile.test.ts runs the same script in a temp copy of the repository.
#
#   installDeps.sh full      everything, chdb (embedded ClickHouse, ~540 MB native library) included
#   installDeps.sh gateway   the same without chdb: the gateway never opens a store (chdb is
#                            imported lazily, only where the embedded store is opened)
set -eu
target="${1:?usage: installDeps.sh full|gateway}"
case "$target" in full | gateway) ;; *)
  echo "installDeps.sh: unknown target $target (full or gateway)" >&2
  exit 2
  ;;
esac

# --filter @llmp/cli...: the CLI and its workspace dependencies only (not test/ or bench/).
pnpm install --prod --frozen-lockfile --ignore-scripts --filter '@llmp/cli...'

if [ "$target" = gateway ]; then
  # chdb's JavaScript and its per-platform native library (@chdb/lib-<os>-<arch>), and the links
  # to them; nothing else in the tree depends on chdb.
  rm -rf node_modules/.pnpm/chdb@* node_modules/.pnpm/@chdb+* \
    node_modules/.pnpm/node_modules/chdb node_modules/.pnpm/node_modules/@chdb \
    node_modules/.pnpm/node_modules/.bin/chdb-*
  rm -f packages/*/node_modules/chdb packages/*/node_modules/.bin/chdb-* cmd/*/node_modules/chdb
fi
