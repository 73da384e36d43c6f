//! One deserializer for every venue's amounts: `""` and `null` are absent, a JSON
//! string or a JSON number becomes an exact `Decimal` (numbers via their literal
//! text, never through f64).

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, de};
use std::str::FromStr;

/// Parse a decimal from the text a venue sent. Accepts plain and exponent forms.
/// More than 28 decimal places would be rounded by `Decimal`: refused instead,
/// so a value is never silently changed.
pub fn parse(s: &str) -> Option<Decimal> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let fraction = t.split_once('.').map_or("", |(_, f)| f);
    if !t.contains(['e', 'E']) && fraction.len() > 28 {
        return None;
    }
    Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .ok()
}

/// `#[serde(default, deserialize_with = "crate::decimal::opt")]`
pub fn opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    d.deserialize_any(AmountVisitor)
}

/// Reads an amount where it lies: a string is parsed in place (no owned
/// `Value` per amount), a number through its literal digits.
struct AmountVisitor;

impl<'de> de::Visitor<'de> for AmountVisitor {
    type Value = Option<Decimal>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a decimal as string or number")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        parse(s)
            .map(Some)
            .ok_or_else(|| E::custom(format!("expected a decimal string, got {:?}", excerpt(s))))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(n)))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(n)))
    }

    // serde_json's arbitrary_precision hands a number over as a one-entry map
    // holding its literal digits; serde_json::Number reads that back exactly.
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let n = serde_json::Number::deserialize(de::value::MapAccessDeserializer::new(map))
            .map_err(|_| {
                de::Error::custom("expected a decimal as string or number, got an object")
            })?;
        parse(&n.to_string())
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("expected a decimal number, got {n}")))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::custom(
            "expected a decimal as string or number, got a boolean",
        ))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(
            "expected a decimal as string or number, got an array",
        ))
    }
}

/// Optional string field where `""` means absent.
pub fn opt_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(de::Error::custom(format!(
            "expected a string, got {}",
            kind(&other)
        ))),
    }
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// At most 40 characters of untrusted text, for error messages.
pub fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros_free::*;

    mod rust_decimal_macros_free {
        pub fn d(s: &str) -> rust_decimal::Decimal {
            s.parse().unwrap()
        }
    }

    #[derive(serde::Deserialize)]
    struct W {
        #[serde(default, deserialize_with = "opt")]
        v: Option<Decimal>,
    }

    fn p(json: &str) -> Result<Option<Decimal>, serde_json::Error> {
        serde_json::from_str::<W>(json).map(|w| w.v)
    }

    #[test]
    fn strings_numbers_and_absent() {
        assert_eq!(
            p(r#"{"v":"4850.435693622894"}"#).unwrap(),
            Some(d("4850.435693622894"))
        );
        assert_eq!(p(r#"{"v":"-276806.51"}"#).unwrap(), Some(d("-276806.51")));
        assert_eq!(p(r#"{"v":""}"#).unwrap(), None);
        assert_eq!(p(r#"{"v":null}"#).unwrap(), None);
        assert_eq!(p(r#"{}"#).unwrap(), None);
        assert_eq!(p(r#"{"v":123456}"#).unwrap(), Some(d("123456")));
        assert_eq!(p(r#"{"v":0.1}"#).unwrap(), Some(d("0.1")));
        assert_eq!(p(r#"{"v":"1e3"}"#).unwrap(), Some(d("1000")));
    }

    #[test]
    fn garbage_is_an_error_naming_what_was_expected() {
        let e = p(r#"{"v":"abc"}"#).unwrap_err().to_string();
        assert!(e.contains("expected a decimal"), "{e}");
        let e = p(r#"{"v":true}"#).unwrap_err().to_string();
        assert!(e.contains("a boolean"), "{e}");
    }

    #[test]
    fn json_numbers_keep_every_digit() {
        assert_eq!(
            p(r#"{"v":12345678901234567.89}"#).unwrap(),
            Some(d("12345678901234567.89"))
        );
        assert_eq!(
            p(r#"{"v":123456789.123456789}"#).unwrap(),
            Some(d("123456789.123456789"))
        );
    }

    #[test]
    fn more_than_28_places_is_refused_not_rounded() {
        assert!(p(r#"{"v":"0.00000000000000000000000000001"}"#).is_err());
        assert_eq!(
            p(r#"{"v":"0.0000000000000000000000000001"}"#).unwrap(),
            Some(d("0.0000000000000000000000000001"))
        );
    }

    #[test]
    fn scale_is_kept() {
        assert_eq!(
            p(r#"{"v":"158.5730"}"#).unwrap().unwrap().to_string(),
            "158.5730"
        );
    }
}
