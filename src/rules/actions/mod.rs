//! GitHub Actions supply chain: what `uses:` pulls in.

pub mod unpinned_action;
