//! Checks that need more than a type, made when the configuration loads, each naming the key
//! and where it was set: ranges, key references, endpoints, the prompts directory.

use std::net::IpAddr;
use std::path::Path;

use super::policy::{is_reference, Provenance};
use super::{Config, ConfigError, ProviderConfig};

/// Every check; `root` is the repository root when `prompts_dir` is read from the work tree.
pub(super) fn validate(c: &Config, root: Option<&Path>) -> Result<(), ConfigError> {
    let prov = &c.provenance;
    let bad = |key: &str, msg: String| ConfigError::Invalid {
        key: key.to_string(),
        msg,
        origin: prov.source(key),
    };
    if c.max_parallel == 0 {
        return Err(bad("max_parallel", "must be at least 1".into()));
    }
    if c.max_document_bytes == 0 {
        return Err(bad("max_document_bytes", "must be at least 1".into()));
    }
    let drafter = c.drafter_provider()?;
    for (table, p) in [("provider", &c.provider), ("drafter", &drafter)] {
        side(table, p, prov)?;
    }
    if !c.trust.notes_key.is_empty() && !is_reference(&c.trust.notes_key) {
        return Err(bad("trust.notes_key", "is not a key reference".into()));
    }
    if let (Some(root), false) = (root, c.prompts_dir.is_empty()) {
        let dir = root.join(&c.prompts_dir);
        if !dir.is_dir() {
            return Err(bad(
                "prompts_dir",
                format!("{} is not a directory", dir.display()),
            ));
        }
    }
    Ok(())
}

/// One provider side (`provider` or `drafter`, the latter merged over the former).
fn side(table: &str, p: &ProviderConfig, prov: &Provenance) -> Result<(), ConfigError> {
    // The drafter's value may come from `[provider]`: name the key that set it.
    let bad = |k: &str, msg: String| {
        let key = prov.side_key(table, k);
        ConfigError::Invalid {
            origin: prov.source(&key),
            key,
            msg,
        }
    };
    for (i, k) in p.keys.iter().enumerate() {
        if !is_reference(k) {
            // Never echo the value: it may be a key pasted by mistake.
            return Err(bad(
                "keys",
                format!("entry {} is not a key reference", i + 1),
            ));
        }
    }
    if !p.temperature.is_finite() {
        return Err(bad("temperature", "must be a finite number".into()));
    }
    if p.timeout_s == 0 {
        return Err(bad("timeout_s", "must be at least 1 (seconds)".into()));
    }
    let url = p.base_url.trim();
    if url.is_empty() {
        return Ok(());
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|e| bad("base_url", format!("is not a URL ({e})")))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&parsed) || p.allow_insecure_http => Ok(()),
        "http" => Err(bad(
            "base_url",
            format!(
                "http:// to {} would send the key and the documents unencrypted; use https, or set {table}.allow_insecure_http = true",
                parsed.host_str().unwrap_or("?")
            ),
        )),
        other => Err(bad(
            "base_url",
            format!("scheme `{other}` is not http or https"),
        )),
    }
}

/// `localhost`, `127.0.0.0/8` or `::1`: traffic that never leaves the machine.
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        for (url, want) in [
            ("http://127.0.0.1:8080/v1", true),
            ("http://127.9.9.9", true),
            ("http://localhost:11434/v1", true),
            ("http://[::1]:80", true),
            ("http://attacker.example/v1", false),
            ("http://10.0.0.1", false),
            ("http://127.0.0.1.attacker.example", false),
        ] {
            assert_eq!(
                is_loopback(&reqwest::Url::parse(url).unwrap()),
                want,
                "{url}"
            );
        }
    }
}
