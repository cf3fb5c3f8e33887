//! Reading the test nginx's access log (`log_format scale`: `$msec
//! $request_method $uri $status "$upstream_addr" "$upstream_status"
//! $request_time`).
use std::time::Instant;

/// Requests `method path` per instance that answered them, from the access log.
pub fn count_by_upstream(
    log: &str,
    method: &str,
    path: &str,
) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for line in log.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        if fields.get(1) == Some(&method) && fields.get(2) == Some(&path) {
            if let Some(upstream) = fields.get(4) {
                *counts
                    .entry(upstream.trim_matches('"').to_owned())
                    .or_insert(0) += 1;
            }
        }
    }
    counts
}

/// When the request of an access log line came in, in Unix milliseconds:
/// `$msec` (when it was logged, at its end) less `$request_time`.
pub fn started_msec(line: &str) -> Option<u128> {
    let fields: Vec<&str> = line.split(' ').collect();
    let logged: f64 = fields.first()?.parse().ok()?;
    let took: f64 = fields.last()?.parse().ok()?;
    Some(((logged - took) * 1000.0) as u128)
}

/// `at` as Unix milliseconds.
pub fn unix_msec_at(at: Instant) -> u128 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    now - Instant::now().saturating_duration_since(at).as_millis()
}
