#!/usr/bin/env bash
# Create a Python venv at DIR with the pinned official SDKs that
# tests/binary/sdk.rs runs against `baltui sim`:
#   tests/sdk/setup.sh DIR && export BALTUI_SDK_PYTHON=DIR/bin/python
set -euo pipefail
dir=${1:?usage: tests/sdk/setup.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
python3 -m venv "$dir"
"$dir/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
# binance-connector and binance-futures-connector both install a package named
# `binance` whose shared files (api.py, lib/utils.py) differ, so one install
# would break the other. The futures connector goes to a directory of its own,
# which binance_sdk.py puts first on sys.path for the futures calls; its
# dependencies (requests, websocket-client, pycryptodome) are binance-connector's.
"$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps \
  --target "$dir/binance-futures-connector" binance-futures-connector==4.2.0
"$dir/bin/python" -c 'import binance.spot, binance_sdk_spot, binance_sdk_margin_trading, binance_sdk_derivatives_trading_usds_futures, binance_sdk_derivatives_trading_portfolio_margin, pybit.unified_trading'
