//! `GET /install.sh`: the agent's one-line installer (install/install-agent.sh), with this
//! collector's address filled in, so a PC needs only
//! `curl -fsSL https://COLLECTOR/install.sh | sudo bash -s -- --token T`. Open: the script is
//! public (it is in the repository) and enrollment needs the token anyway.

use super::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const SCRIPT: &str = include_str!("../../../install/install-agent.sh");
const PLACEHOLDER: &str = "PANTAU_URL_DEFAULT=\"\"";

pub fn routes() -> Router<AppState> {
    Router::new().route("/install.sh", get(script))
}

async fn script(State(s): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    // HTTPS whenever users reach the collector over HTTPS (own certificate or a proxy).
    let scheme = if s.auth.config.secure_cookie {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    (
        [(header::CONTENT_TYPE, "text/x-shellscript; charset=utf-8")],
        with_url(scheme, host),
    )
}

/// The script with its default URL set, when `host` is a plain host[:port]. Anything else
/// (the Host header is the client's word) leaves it empty: it is pasted into a shell script.
fn with_url(scheme: &str, host: &str) -> String {
    let safe = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !safe {
        return SCRIPT.to_owned();
    }
    SCRIPT.replacen(
        PLACEHOLDER,
        &format!("PANTAU_URL_DEFAULT=\"{scheme}://{host}\""),
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_in_a_plain_host_and_nothing_else() {
        assert!(
            SCRIPT.contains(PLACEHOLDER),
            "install-agent.sh lost its placeholder"
        );
        let s = with_url("https", "pantau.kota.go.id:8443");
        assert!(s.contains("PANTAU_URL_DEFAULT=\"https://pantau.kota.go.id:8443\""));
        for evil in ["a\"; rm -rf /; \"", "$(id)", "a b", "`x`"] {
            assert_eq!(with_url("https", evil), SCRIPT, "{evil}");
        }
    }
}
