//! HTTP helpers over the collector's API, and a reader for Prometheus text.
//!
//! A URL may carry credentials (`http://user:pass@host/...`, as [`crate::Collector::url`]
//! returns): they are taken out of the URL and sent as HTTP Basic, which the collector's
//! API accepts, so every helper works against an authenticated collector unchanged.

use base64::Engine;
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .into()
    })
}

/// `url` without its userinfo, and the `Authorization: Basic` value it stood for.
pub fn split_credentials(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.to_owned(), None);
    };
    let userinfo = &rest[..at];
    let basic = base64::engine::general_purpose::STANDARD.encode(userinfo);
    (
        format!("{scheme}://{}", &rest[at + 1..]),
        Some(format!("Basic {basic}")),
    )
}

/// Send `method` to `url` with `headers` and an optional JSON body: the status and the
/// body as text. Credentials in the URL become Basic (unless `headers` set Authorization).
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<(u16, String), String> {
    let (plain, basic) = split_credentials(url);
    let mut req = ureq::http::Request::builder().method(method).uri(&plain);
    let own_auth = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
    if let (Some(b), false) = (&basic, own_auth) {
        req = req.header("authorization", b);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let result = match body {
        Some(b) => {
            let req = req
                .header("content-type", "application/json")
                .body(b.to_string())
                .map_err(|e| format!("{method} {plain}: {e}"))?;
            agent().run(req)
        }
        None => {
            let req = req.body(()).map_err(|e| format!("{method} {plain}: {e}"))?;
            agent().run(req)
        }
    };
    let mut resp = result.map_err(|e| format!("{method} {plain}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| format!("{method} {plain}: reading the body: {e}"))?;
    Ok((status, text))
}

/// POST an HTML form body (`a=1&b=2`, already encoded) to `url`, as a browser would.
pub fn post_form(url: &str, form: &str) -> Result<(u16, String), String> {
    let (plain, basic) = split_credentials(url);
    let mut req = agent()
        .post(&plain)
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(b) = &basic {
        req = req.header("authorization", b);
    }
    let mut resp = req.send(form).map_err(|e| format!("POST {plain}: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("POST {plain}: reading the body: {e}"))?;
    Ok((status, body))
}

/// GET `url`: the status code and the body as text, or a transport error.
pub fn get(url: &str) -> Result<(u16, String), String> {
    let (url, basic) = split_credentials(url);
    let url = url.as_str();
    let mut req = agent().get(url);
    if let Some(b) = &basic {
        req = req.header("authorization", b);
    }
    let mut resp = req.call().map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| format!("GET {url}: reading the body: {e}"))?;
    Ok((status, body))
}

/// GET `url` and parse JSON; `Err` for transport errors, non-200 statuses and bad JSON.
pub fn try_get_json(url: &str) -> Result<Value, String> {
    let (status, body) = get(url)?;
    if status != 200 {
        return Err(format!("GET {url}: status {status}: {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("GET {url}: not JSON ({e}): {body}"))
}

/// GET `url` and parse JSON; panics with the reason otherwise.
pub fn get_json(url: &str) -> Value {
    try_get_json(url).unwrap_or_else(|e| panic!("{e}"))
}

/// GET `url` as text; panics unless the status is 200.
pub fn get_text(url: &str) -> String {
    match get(url) {
        Ok((200, body)) => body,
        Ok((status, body)) => panic!("GET {url}: status {status}: {body}"),
        Err(e) => panic!("{e}"),
    }
}

/// The status code of GET `url`, or `None` if nothing answered.
pub fn status(url: &str) -> Option<u16> {
    get(url).ok().map(|(s, _)| s)
}

/// Sum of the samples of metric `name` in Prometheus text whose labels include all of
/// `labels`. A metric that is absent counts as 0 (a counter that never moved may not be
/// exported yet).
pub fn prom_value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut sum = 0.0;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((series, value)) = split_sample(line) else {
            continue;
        };
        let (metric, label_text) = match series.find('{') {
            Some(i) => (&series[..i], &series[i + 1..series.len() - 1]),
            None => (series, ""),
        };
        if metric != name {
            continue;
        }
        let have = parse_labels(label_text);
        let all = labels
            .iter()
            .all(|(k, v)| have.iter().any(|(hk, hv)| hk == k && hv == v));
        if all {
            sum += value;
        }
    }
    sum
}

/// Whether the text has a sample (not just a comment) of `name`.
pub fn prom_has(text: &str, name: &str) -> bool {
    text.lines().any(|l| {
        !l.starts_with('#')
            && l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
    })
}

/// `name{labels} value [timestamp]` → (`name{labels}`, value).
fn split_sample(line: &str) -> Option<(&str, f64)> {
    let end = match line.find('{') {
        Some(i) => i + line[i..].find('}')? + 1,
        None => line.find(' ')?,
    };
    let series = &line[..end];
    let value = line[end..].split_whitespace().next()?.parse().ok()?;
    Some((series, value))
}

fn parse_labels(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().trim_start_matches(',').trim().to_owned();
        let after = &rest[eq + 1..];
        let Some(after) = after.strip_prefix('"') else {
            break;
        };
        let mut value = String::new();
        let mut chars = after.char_indices();
        let mut consumed = after.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        value.push(if n == 'n' { '\n' } else { n });
                    }
                }
                '"' => {
                    consumed = i + 1;
                    break;
                }
                c => value.push(c),
            }
        }
        out.push((key, value));
        rest = &after[consumed..];
    }
    out
}

/// POST `body` as JSON to `url`: the status code and the reply parsed as JSON (`Null` if
/// it is not JSON).
pub fn post_json(url: &str, body: &Value) -> (u16, Value) {
    let (status, text) = request("POST", url, &[], Some(body)).unwrap_or_else(|e| panic!("{e}"));
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// PUT `body` as JSON to `url`: the status code and the reply parsed as JSON (`Null` if it
/// is not JSON, as for 204).
pub fn put_json(url: &str, body: &Value) -> (u16, Value) {
    let (status, text) = request("PUT", url, &[], Some(body)).unwrap_or_else(|e| panic!("{e}"));
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// PUT `body` as text (`content-type`) to `url`: the status code and the reply parsed as
/// JSON (`Null` if it is not JSON). For endpoints that take a file as is (a TOML policy).
pub fn put_text(url: &str, content_type: &str, body: &str) -> (u16, Value) {
    let (plain, basic) = split_credentials(url);
    let mut req = ureq::http::Request::builder()
        .method("PUT")
        .uri(&plain)
        .header("content-type", content_type);
    if let Some(b) = &basic {
        req = req.header("authorization", b);
    }
    let req = req
        .body(body.to_owned())
        .unwrap_or_else(|e| panic!("PUT {plain}: {e}"));
    let mut resp = agent()
        .run(req)
        .unwrap_or_else(|e| panic!("PUT {plain}: {e}"));
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_prometheus_text() {
        let text = "# HELP x y\n# TYPE pantau_ingest_rejected_total counter\n\
            pantau_ingest_rejected_total{reason=\"bad_topic\"} 2\n\
            pantau_ingest_rejected_total{kind=\"metrics\",reason=\"oversized\"} 1\n\
            pantau_ingest_rejected_total{kind=\"status\",reason=\"oversized\"} 3 1700000000\n\
            pantau_ingest_duplicates_total 4\n\
            pantau_ingest_duplicates_total_created 1.7e9\n";
        let r = "pantau_ingest_rejected_total";
        assert_eq!(prom_value(text, r, &[("reason", "bad_topic")]), 2.0);
        assert_eq!(prom_value(text, r, &[("reason", "oversized")]), 4.0);
        assert_eq!(prom_value(text, r, &[("reason", "schema")]), 0.0);
        assert_eq!(prom_value(text, r, &[]), 6.0);
        assert_eq!(prom_value(text, "pantau_ingest_duplicates_total", &[]), 4.0);
        assert!(prom_has(text, "pantau_ingest_duplicates_total"));
        assert!(!prom_has(text, "pantau_ingest_messages_total"));
    }

    #[test]
    fn credentials_leave_the_url() {
        let (url, auth) = split_credentials("http://admin:p%40ss@127.0.0.1:8080/api/v1/x?a=b@c");
        assert_eq!(url, "http://127.0.0.1:8080/api/v1/x?a=b@c");
        let basic = base64::engine::general_purpose::STANDARD.encode("admin:p%40ss");
        assert_eq!(auth, Some(format!("Basic {basic}")));
        assert_eq!(split_credentials("http://h/x").1, None);
    }

    #[test]
    fn labels_with_escapes() {
        let l = parse_labels(r#"a="x\"y",b="z""#);
        assert_eq!(
            l,
            vec![("a".into(), "x\"y".into()), ("b".into(), "z".into())]
        );
    }
}
