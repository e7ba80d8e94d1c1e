//! Baselines: the fingerprints of accepted findings, so that a scan reports only new ones.
//! Fingerprints hash the rule, path and masked line text: no secret value is ever stored.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

#[derive(Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, Hash, Clone)]
pub struct Entry {
    pub rule: String,
    pub path: String,
    pub fingerprint: String,
}

impl Baseline {
    pub fn from_findings(findings: &[Box<Finding>]) -> Baseline {
        Baseline {
            version: 1,
            findings: findings
                .iter()
                .map(|f| Entry {
                    rule: f.rule.id.to_string(),
                    path: f.location.path.clone(),
                    fingerprint: f.fingerprint.clone(),
                })
                .collect(),
        }
    }

    pub fn load(path: &Path) -> Result<HashSet<String>, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read baseline: {e}", path.display()))?;
        let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}: not a Portcullis baseline: {e}",
                path.display(),
                e.line()
            )
        })?;
        Ok(baseline
            .findings
            .into_iter()
            .map(|e| e.fingerprint)
            .collect())
    }

    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        let mut out = crate::sink::Output::create(path)?;
        std::io::Write::write_all(&mut out, text.as_bytes())?;
        out.finish()
    }
}
