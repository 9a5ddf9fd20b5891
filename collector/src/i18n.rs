//! The language of user-facing text: Bahasa Indonesia by default, English on request
//! (`--lang en`, `?lang=en`, or `Accept-Language`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    /// `id`, `en`, or an Accept-Language header; anything else is Indonesian.
    pub fn parse(s: &str) -> Lang {
        let first = s
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if first.starts_with("en") {
            Lang::En
        } else {
            Lang::Id
        }
    }

    /// Pick the text for this language.
    pub fn t<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }
}
