//! The venues baltui knows: one line each. Everything that iterates venues
//! (config, check, the simulator, the screen) goes through here.

use super::Venue;
use crate::model::VenueKind;

/// A venue's parts, as the rest of the program finds them.
pub struct Entry {
    /// Wire rules and `[[account]]` keys.
    pub venue: &'static dyn Venue,
    /// Its simulator: routes, demo accounts, config lines.
    pub sim: &'static dyn crate::sim::SimVenue,
}

/// One line per venue.
pub static ENTRIES: &[Entry] = &[
    Entry {
        venue: &super::okx::OKX,
        sim: &super::okx::sim::SIM,
    },
    Entry {
        venue: &super::longport::LONGPORT,
        sim: &super::longport::sim::SIM,
    },
    Entry {
        venue: &super::webull::WEBULL,
        sim: &super::webull::sim::SIM,
    },
    Entry {
        venue: &super::bybit::BYBIT,
        sim: &super::bybit::sim::SIM,
    },
    Entry {
        venue: &super::binance::BINANCE,
        sim: &super::binance::sim::SIM,
    },
];

pub fn entries() -> impl Iterator<Item = &'static Entry> {
    ENTRIES.iter()
}

/// Every venue, in registry order.
pub fn venues() -> impl Iterator<Item = &'static dyn Venue> {
    ENTRIES.iter().map(|e| e.venue)
}

/// The venue whose config name is `id` ("okx").
pub fn by_id(id: &str) -> Option<&'static dyn Venue> {
    venues().find(|v| v.venue().as_str() == id)
}

/// The venue of `kind` (None only for a kind no venue registered, e.g. a
/// test's own).
pub fn venue(kind: VenueKind) -> Option<&'static dyn Venue> {
    venues().find(|v| v.venue() == kind)
}
