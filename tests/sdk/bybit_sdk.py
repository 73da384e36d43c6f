#!/usr/bin/env python3
"""Bybit's official Python SDK (pybit 5.17.0) against a Bybit-compatible host (`baltui sim`).

    BYBIT_API_KEY=... BYBIT_SECRET_KEY=... bybit_sdk.py BASE_URL

The credentials come from the environment so they never appear in a process
list. Calls, in the order baltui makes them: get_account_info()
(/v5/account/info), then get_wallet_balance(accountType="UNIFIED")
(/v5/account/wallet-balance). Prints one JSON object: each call's name and
the body pybit returned, or, when pybit raised, {"error": {"type",
"http_status", "code", "message"}}.
"""

import json
import os
import sys

from pybit.exceptions import FailedRequestError, InvalidRequestError
from pybit.unified_trading import HTTP


def error(e):
    if isinstance(e, InvalidRequestError):
        # A Bybit error body (HTTP 200): pybit keeps retCode in status_code.
        return {
            "type": type(e).__name__,
            "http_status": 200,
            "code": e.status_code,
            "message": e.message,
        }
    if isinstance(e, FailedRequestError):
        return {
            "type": type(e).__name__,
            "http_status": e.status_code,
            "code": None,
            "message": e.message,
        }
    return {"type": type(e).__name__, "http_status": None, "code": None, "message": str(e)}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    base = sys.argv[1]
    # max_retries=1: pybit retries 10002 (clock) and 10006 (rate limit) by
    # itself; one request per call is what baltui sends.
    session = HTTP(
        api_key=os.environ["BYBIT_API_KEY"],
        api_secret=os.environ["BYBIT_SECRET_KEY"],
        max_retries=1,
    )
    # pybit builds its host from testnet/demo/domain/tld and always uses
    # https; every request is `session.endpoint + path`, so pointing the
    # session at the simulator's http://127.0.0.1:PORT after construction is
    # the only change. Credentials, signing and requests stay pybit's own.
    session.endpoint = base
    out = {}
    for name, call in [
        ("account_info", lambda: session.get_account_info()),
        ("wallet_balance", lambda: session.get_wallet_balance(accountType="UNIFIED")),
    ]:
        try:
            out[name] = call()
        except Exception as e:  # pybit's own error types, reported as data
            out[name] = {"error": error(e)}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
