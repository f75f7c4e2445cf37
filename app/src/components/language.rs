//! The language switch: a link to `/lang/<locale>`, where the server sets the cookie
//! and sends the person back to the page, rendered in the other language.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::i18n::*;

#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let other = move || match i18n.get_locale() {
        Locale::zh_CN => Locale::en,
        Locale::en => Locale::zh_CN,
    };
    let location = use_location();
    let href = move || {
        format!(
            "/lang/{}?next={}",
            other().as_str(),
            encode_path(&location.pathname.get())
        )
    };
    view! {
        <a
            class="lang-switch"
            href=href
            hreflang=move || other().as_str()
            lang=move || other().as_str()
            aria-label=move || t_string!(i18n, language.switch_label)
        >
            {t!(i18n, language.switch)}
        </a>
    }
}

/// Percent-encodes a path for use as a query value (our paths are ASCII, but a typed URL
/// may not be).
pub(crate) fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_are_encoded_for_a_query_value() {
        assert_eq!(super::encode_path("/field"), "/field");
        assert_eq!(super::encode_path("/a b?c&d"), "/a%20b%3Fc%26d");
        assert_eq!(super::encode_path("/村"), "/%E6%9D%91");
    }
}
