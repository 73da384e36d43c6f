//! LongPort / Longbridge: GET /v1/asset/account (and the legacy
//! /v1/trade/asset/GetAccountCashInfo), signed with the API-key scheme.

pub mod sign;
