#!/usr/bin/env python3
"""Binance's official Python SDKs against a Binance-compatible host (`baltui sim`).

    BINANCE_API_KEY=... BINANCE_SECRET_KEY=... binance_sdk.py SDK BASE_URL

The credentials come from the environment so they never appear in a process
list. SDK is one of:

  connector          binance-connector 3.13.0: Spot.account(omitZeroBalances),
                     Spot.margin_account(), Spot.summary_of_margin_account()
                     (/sapi/v1/margin/tradeCoeff)
  futures-connector  binance-futures-connector 4.2.0:
                     UMFutures.futures_account_configuration()
                     (/fapi/v1/accountConfig), UMFutures.account()
                     (/fapi/v3/account), CMFutures.account() (/dapi/v1/account)
  sdk-classic        the modular SDKs (binance-common 4.7.0): binance-sdk-spot
                     get_account(omit_zero_balances=True); binance-sdk-margin-
                     trading query_cross_margin_account_details(),
                     get_summary_of_margin_account(); binance-sdk-derivatives-
                     trading-usds-futures futures_account_configuration(),
                     account_information_v3()
  sdk-pm             binance-sdk-spot get_account(omit_zero_balances=True);
                     binance-sdk-derivatives-trading-portfolio-margin
                     account_information() (/papi/v1/account),
                     account_balance() (/papi/v1/balance)

The calls run in that order, one each, the order baltui polls them in. Prints
one JSON object: each call's name and the body the SDK returned, or, when the
SDK raised, {"error": {"type", "http_status", "code", "message"}}. Every SDK
gets BASE_URL through its own constructor argument; signing and request
building are the SDK's own.
"""

import json
import os
import sys


def legacy_error(e):
    # The legacy connectors' ClientError: HTTP status, Binance code, message.
    return {
        "type": type(e).__name__,
        "http_status": getattr(e, "status_code", None),
        "code": getattr(e, "error_code", None),
        "message": getattr(e, "error_message", str(e)),
    }


# binance-common raises one error class per HTTP status.
MODULAR_STATUS = {
    "BadRequestError": 400,
    "UnauthorizedError": 401,
    "ForbiddenError": 403,
    "NotFoundError": 404,
    "RateLimitBanError": 418,
    "TooManyRequestsError": 429,
}


def modular_error(e):
    # binance-common's errors keep the Binance code in `status_code`.
    return {
        "type": type(e).__name__,
        "http_status": MODULAR_STATUS.get(type(e).__name__),
        "code": getattr(e, "status_code", None),
        "message": getattr(e, "error_message", str(e)),
    }


def plain(x):
    """A modular SDK model as plain JSON data, with the wire's field names."""
    inner = getattr(x, "actual_instance", None)
    if inner is not None:
        return plain(inner)
    if hasattr(x, "model_dump"):
        x = x.model_dump(by_alias=True, exclude_none=True, mode="json")
    if isinstance(x, list):
        return [plain(i) for i in x]
    if isinstance(x, dict):
        # The models keep fields they do not declare in `additional_properties`;
        # back where the wire had them.
        extra = x.pop("additional_properties", None) or {}
        return {k: plain(v) for k, v in {**x, **extra}.items()}
    return x


def modular(client, key, secret, base):
    """A modular SDK's REST API with its own configuration (each client sets
    its User-Agent in it)."""
    from binance_common.configuration import ConfigurationRestAPI

    # retries=0: one request per call, as baltui sends (by default the SDK
    # retries 5xx with a fresh signature); 10 s instead of its 1 s timeout
    # for a loaded test machine.
    cfg = ConfigurationRestAPI(
        api_key=key, api_secret=secret, base_path=base, retries=0, timeout=10_000
    )
    return client(config_rest_api=cfg).rest_api


def run(calls, on_error):
    out = {}
    for name, call in calls:
        try:
            out[name] = call()
        except Exception as e:  # the SDK's own error types, reported as data
            out[name] = {"error": on_error(e)}
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sdk, base = sys.argv[1], sys.argv[2]
    key = os.environ["BINANCE_API_KEY"]
    secret = os.environ["BINANCE_SECRET_KEY"]
    if sdk == "connector":
        from binance.spot import Spot

        c = Spot(api_key=key, api_secret=secret, base_url=base)
        out = run(
            [
                ("spot_account", lambda: c.account(omitZeroBalances="true")),
                ("margin_account", lambda: c.margin_account()),
                ("margin_trade_coeff", lambda: c.summary_of_margin_account()),
            ],
            legacy_error,
        )
    elif sdk == "futures-connector":
        # setup.sh installs this connector apart from binance-connector (both
        # are the package `binance`); put it first so its own files load.
        own = os.path.join(sys.prefix, "binance-futures-connector")
        if os.path.isdir(own):
            sys.path.insert(0, own)
        from binance.cm_futures import CMFutures
        from binance.um_futures import UMFutures

        um = UMFutures(key=key, secret=secret, base_url=base)
        cm = CMFutures(key=key, secret=secret, base_url=base)
        out = run(
            [
                ("um_account_config", lambda: um.futures_account_configuration()),
                ("um_account", lambda: um.account()),
                ("cm_account", lambda: cm.account()),
            ],
            legacy_error,
        )
    elif sdk == "sdk-classic":
        from binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures import (
            DerivativesTradingUsdsFutures,
        )
        from binance_sdk_margin_trading.margin_trading import MarginTrading
        from binance_sdk_spot.spot import Spot

        spot = modular(Spot, key, secret, base)
        margin = modular(MarginTrading, key, secret, base)
        usds = modular(DerivativesTradingUsdsFutures, key, secret, base)
        out = run(
            [
                (
                    "spot_account",
                    lambda: plain(spot.get_account(omit_zero_balances=True).data()),
                ),
                (
                    "margin_account",
                    lambda: plain(margin.query_cross_margin_account_details().data()),
                ),
                (
                    "margin_trade_coeff",
                    lambda: plain(margin.get_summary_of_margin_account().data()),
                ),
                (
                    "um_account_config",
                    lambda: plain(usds.futures_account_configuration().data()),
                ),
                ("um_account", lambda: plain(usds.account_information_v3().data())),
            ],
            modular_error,
        )
    elif sdk == "sdk-pm":
        from binance_sdk_derivatives_trading_portfolio_margin.derivatives_trading_portfolio_margin import (
            DerivativesTradingPortfolioMargin,
        )
        from binance_sdk_spot.spot import Spot

        spot = modular(Spot, key, secret, base)
        pm = modular(DerivativesTradingPortfolioMargin, key, secret, base)
        out = run(
            [
                (
                    "spot_account",
                    lambda: plain(spot.get_account(omit_zero_balances=True).data()),
                ),
                ("pm_account", lambda: plain(pm.account_information().data())),
                ("pm_balance", lambda: plain(pm.account_balance().data())),
            ],
            modular_error,
        )
    else:
        sys.exit(f"unknown SDK {sdk!r}\n{__doc__}")
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
