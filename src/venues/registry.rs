//! The venues baltui knows: one line each. Everything that iterates venues
//! (config, check, the simulator, the screen) goes through here.

use super::{Protocol, Venue};
use crate::model::VenueKind;

/// One line per venue.
pub static VENUES: &[&dyn Venue] = &[
    &super::okx::OKX,
    &super::longport::LONGPORT,
    &super::webull::WEBULL,
];

/// The venue whose config name is `id` ("okx").
pub fn by_id(id: &str) -> Option<&'static dyn Venue> {
    VENUES.iter().copied().find(|v| v.venue().as_str() == id)
}

/// The venue of `kind`.
pub fn venue(kind: VenueKind) -> &'static dyn Venue {
    VENUES
        .iter()
        .copied()
        .find(|v| v.venue() == kind)
        .unwrap_or(&super::okx::OKX)
}

/// The wire rules of `kind`.
pub fn protocol(kind: VenueKind) -> &'static dyn Protocol {
    venue(kind)
}
