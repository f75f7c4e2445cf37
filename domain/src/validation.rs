//! How a rule reports bad input: the field it concerns and a stable problem code. The
//! user-facing sentence lives in the app's locale files (`error.<code>`), so the same
//! rule speaks Chinese or English without the domain knowing either.

use serde::{Deserialize, Serialize};

/// What is wrong with a value, independent of language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    #[error("required")]
    Required,
    #[error("too_long")]
    TooLong,
    #[error("control_characters")]
    ControlCharacters,
    #[error("wrong_parent")]
    WrongParent,
}

impl Problem {
    /// The stable code, also the i18n key suffix.
    pub fn code(self) -> &'static str {
        match self {
            Problem::Required => "required",
            Problem::TooLong => "too_long",
            Problem::ControlCharacters => "control_characters",
            Problem::WrongParent => "wrong_parent",
        }
    }
}

/// A problem with one named field of a form or record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    pub field: String,
    pub problem: Problem,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        Self {
            field: field.into(),
            problem,
        }
    }
}

/// Trims a free-text name and checks it is present, short enough, and free of control
/// characters (which break printed documents and spreadsheets).
pub fn clean_name(field: &str, raw: &str, max_chars: usize) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new(field, Problem::Required));
    }
    if name.chars().count() > max_chars {
        return Err(FieldError::new(field, Problem::TooLong));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(field, Problem::ControlCharacters));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_name_trims_and_keeps_chinese() {
        assert_eq!(clean_name("name", "  东湖村 ", 10).unwrap(), "东湖村");
    }

    #[test]
    fn clean_name_refuses_blank_long_and_control() {
        assert_eq!(
            clean_name("name", "   ", 10).unwrap_err().problem,
            Problem::Required
        );
        // Counted in characters, not bytes: ten Chinese characters fit in ten.
        assert!(clean_name("name", "一二三四五六七八九十", 10).is_ok());
        assert_eq!(
            clean_name("name", "一二三四五六七八九十一", 10)
                .unwrap_err()
                .problem,
            Problem::TooLong
        );
        assert_eq!(
            clean_name("name", "东湖\u{0007}村", 10).unwrap_err().problem,
            Problem::ControlCharacters
        );
    }

    #[test]
    fn problem_codes_match_their_wire_names() {
        // A code sent over the wire must find its translation under the same name.
        for p in [
            Problem::Required,
            Problem::TooLong,
            Problem::ControlCharacters,
            Problem::WrongParent,
        ] {
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.code()));
            assert_eq!(p.to_string(), p.code());
        }
    }
}
