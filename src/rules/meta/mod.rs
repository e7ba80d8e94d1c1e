//! Rules the engine reports itself: about the scan, not about a configuration.

pub mod parse_error;
pub mod unused_ignore;
