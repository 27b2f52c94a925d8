# Sourced by .ci/run and scripts/test-docker.sh (bash): Node 24 LTS becomes the `node` on PATH.
#
# When the node on PATH is not 24.x, the npm registry's node@24 package (the official binary and its
# headers) is installed once under ${WXAUTH_NODE_HOME:-~/.cache/wxauth/node-24} and put first on PATH;
# the machine's own Node is left alone. npm_config_nodedir then points node-gyp at the headers of the
# Node that runs, so a native module that compiles does so for it without downloading headers (none
# does today: better-sqlite3 13 ships its binaries).

# The folder holding include/node for the node binary $1: beside it (/usr, /usr/local), or the
# node-<os>-<arch> package that the npm package node@24 installs it from.
node_headers_prefix() {
  local real dir candidate
  real=$(readlink -f "$1")
  dir=$(dirname "$(dirname "$real")")
  for candidate in "$dir" "$dir"/node_modules/node-*; do
    if [ -f "$candidate/include/node/node_version.h" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

use_node_24() {
  local home=${WXAUTH_NODE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/wxauth/node-24}
  case "$(node --version 2>/dev/null)" in
    v24.*) ;;
    *)
      if [ "$("$home/bin/node" --version 2>/dev/null | cut -d. -f1)" != v24 ]; then
        echo "Node $(node --version 2>/dev/null || echo '(none)') is not 24: installing node@24 from the npm registry into $home" >&2
        npm install --global --prefix "$home" --no-fund --no-audit --loglevel=error node@24 >&2 || {
          echo "could not install node@24 with npm into $home" >&2
          return 1
        }
      fi
      export PATH="$home/bin:$PATH"
      hash -r
      ;;
  esac
  case "$(node --version)" in
    v24.*) ;;
    *)
      echo "node on PATH is $(node --version), not 24.x" >&2
      return 1
      ;;
  esac
  local headers
  if headers=$(node_headers_prefix "$(command -v node)"); then
    export npm_config_nodedir="$headers"
  fi
}
