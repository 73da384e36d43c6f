//! Webull OpenAPI: GET /account/balance, account discovery, signing.

pub mod sign;
