//! The frame every dashboard page shares: navigation, language switch, who is signed in, and
//! one small stylesheet that fits a 1366×768 office monitor and a phone. No JavaScript: forms
//! post with a `_csrf` field, links carry `lang=en` when English was chosen.

use super::access::Caller;
use crate::i18n::Lang;
use axum::http::HeaderMap;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The page's language: `?lang=en` or `?lang=id`, Indonesian otherwise. A browser's
/// Accept-Language is deliberately not used: many office PCs run an English Windows and
/// Chrome, which would make English the default for Indonesian staff (docs/decisions.md).
/// The API, whose clients set Accept-Language on purpose, still honours it.
pub fn lang(query: Option<&str>, _headers: &HeaderMap) -> Lang {
    query.map(Lang::parse).unwrap_or_default()
}

/// `path` (which may carry a query) with `lang=en` added when the page is in English, so the
/// choice follows the user from page to page.
pub fn href(l: Lang, path: &str) -> String {
    match l {
        Lang::Id => path.to_owned(),
        Lang::En if path.contains('?') => format!("{path}&lang=en"),
        Lang::En => format!("{path}?lang=en"),
    }
}

/// Which navigation entry is the current page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Ringkasan,
    Temuan,
    Aset,
    Jaringan,
    Laporan,
    Host,
}

pub struct Page<'a> {
    pub lang: Lang,
    pub title: &'a str,
    pub nav: Nav,
    /// This page's path and query without `lang`, for the language switch.
    pub here: &'a str,
    pub caller: &'a Caller,
}

pub fn render(p: Page, body: Markup) -> String {
    let l = p.lang;
    let entries = [
        (Nav::Ringkasan, "/", l.t("Ringkasan", "Overview")),
        (Nav::Temuan, "/temuan", l.t("Temuan", "Flags")),
        (Nav::Aset, "/aset", l.t("Register", "Register")),
        (Nav::Jaringan, "/jaringan", l.t("Jaringan", "Network")),
        (Nav::Laporan, "/laporan", l.t("Laporan", "Reports")),
    ];
    let sep = if p.here.contains('?') { '&' } else { '?' };
    let markup = html! {
        (DOCTYPE)
        html lang=(l.t("id", "en")) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Pantau — " (p.title) }
                link rel="icon" href=(FAVICON);
                style { (PreEscaped(CSS)) }
            }
            body {
                header.top {
                    strong.brand { "Pantau" }
                    nav {
                        @for (nav, path, label) in entries {
                            @if nav == p.nav {
                                a.here href=(href(l, path)) aria-current="page" { (label) }
                            } @else {
                                a href=(href(l, path)) { (label) }
                            }
                        }
                    }
                    span.who {
                        @match l {
                            Lang::Id => a href={ (p.here) (sep) "lang=en" } { "English" },
                            Lang::En => a href={ (p.here) (sep) "lang=id" } { "Bahasa Indonesia" },
                        }
                        " · " (p.caller.name()) " (" (p.caller.user.role.name()) ") "
                        form.inline method="post" action="/logout" {
                            @if let Some(csrf) = &p.caller.csrf {
                                input type="hidden" name="_csrf" value=(csrf);
                            }
                            button type="submit" { (l.t("Keluar", "Sign out")) }
                        }
                    }
                }
                main {
                    h1 { (p.title) }
                    (body)
                }
            }
        }
    };
    markup.into_string()
}

/// The fields every dashboard form sends besides its own: a note, the page to come back to,
/// the page's language and the CSRF token (checked by the access layer before the handler).
#[derive(serde::Deserialize, Default)]
pub struct FormCommon {
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default, rename = "_csrf")]
    _csrf: Option<String>,
}

impl FormCommon {
    /// The note, trimmed; `None` when empty.
    pub fn note(&self) -> Option<String> {
        Some(self.note.trim().to_owned()).filter(|n| !n.is_empty())
    }

    pub fn lang(&self) -> Lang {
        lang(self.lang.as_deref(), &HeaderMap::new())
    }

    /// Back to the page the form came from when it is under `home`, else to `home`, in the
    /// form's language: never to another site (no open redirect).
    pub fn back_to(&self, home: &str) -> axum::response::Redirect {
        let back = if self.back.starts_with(home) && !self.back.starts_with("//") {
            self.back.as_str()
        } else {
            home
        };
        axum::response::Redirect::to(&href(self.lang(), back))
    }
}

/// Hidden CSRF field for a form of this caller (API-token callers have none and need none).
pub fn csrf_field(c: &Caller) -> Markup {
    html! {
        @if let Some(csrf) = &c.csrf {
            input type="hidden" name="_csrf" value=(csrf);
        }
    }
}

/// Inline, so a browser's automatic `/favicon.ico` request never happens (and never 404s).
pub const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%230b4f6c'/%3E%3C/svg%3E";

/// Tables scroll sideways on a phone instead of squeezing; cards wrap.
const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1d2733}\
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.5rem 1rem;background:#0b4f6c;color:#fff}\
header.top a{color:#fff}header.top nav a{margin-right:1rem;text-decoration:none}\
header.top nav a.here{font-weight:bold;text-decoration:underline}.who{margin-left:auto;font-size:.9rem}\
form.inline{display:inline}main{padding:0 1rem 2rem;max-width:1340px}\
.cards{display:flex;flex-wrap:wrap;gap:1rem}.card{border:1px solid #cfd8dc;border-radius:6px;padding:.6rem 1rem;min-width:9rem}\
.card b{display:block;font-size:1.6rem}.scroll{overflow-x:auto}\
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border-bottom:1px solid #dde3e6;padding:.3rem .6rem;text-align:left;vertical-align:top}\
th{background:#f1f5f7}td.n{text-align:right}.bad{color:#b3261e;font-weight:bold}.ok{color:#1b7f3b}\
.charts{display:flex;flex-wrap:wrap;gap:1rem}.charts svg{flex:1 1 420px;max-width:660px;width:100%;height:auto}.service svg{max-width:660px;width:100%;height:auto}\
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}\
form.act{display:flex;flex-wrap:wrap;gap:.3rem}form.act input[type=text]{min-width:10rem}";
