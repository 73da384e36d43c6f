//! The venues baltui knows: one line each. Everything that iterates venues
//! (config, check, the simulator, the screen) goes through here.

use super::Protocol;
use crate::model::VenueKind;

/// One line per venue.
pub static VENUES: &[&dyn Protocol] = &[
    &super::okx::OKX,
    &super::longport::LONGPORT,
    &super::webull::WEBULL,
];

/// The wire rules of `kind`.
pub fn protocol(kind: VenueKind) -> &'static dyn Protocol {
    VENUES
        .iter()
        .copied()
        .find(|p| p.venue() == kind)
        .unwrap_or(&super::okx::OKX)
}
