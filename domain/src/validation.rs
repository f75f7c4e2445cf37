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
    #[error("wrong_scope")]
    WrongScope,
    #[error("bad_username")]
    BadUsername,
    #[error("username_taken")]
    UsernameTaken,
    #[error("too_short")]
    TooShort,
    #[error("common_password")]
    CommonPassword,
    #[error("wrong_password")]
    WrongPassword,
    #[error("duplicate")]
    Duplicate,
    #[error("unknown_value")]
    UnknownValue,
    #[error("mismatch")]
    Mismatch,
    #[error("bad_phone")]
    BadPhone,
    #[error("file_empty")]
    FileEmpty,
    #[error("file_too_large")]
    FileTooLarge,
    /// Not a JPEG, PNG, WebP or PDF, or one too damaged to read.
    #[error("file_type_not_allowed")]
    FileTypeNotAllowed,
    #[error("too_many")]
    TooMany,
    #[error("bad_resident_id_length")]
    BadResidentIdLength,
    #[error("bad_resident_id_date")]
    BadResidentIdDate,
    #[error("bad_resident_id_check")]
    BadResidentIdCheck,
    #[error("bad_date")]
    BadDate,
    #[error("bad_number")]
    BadNumber,
    #[error("wrong_answer")]
    WrongAnswer,
    /// A latitude or longitude out of range, or only one of the two.
    #[error("bad_coordinates")]
    BadCoordinates,
    /// A GPS accuracy that is negative or absurdly large, or given without a position.
    #[error("bad_accuracy")]
    BadAccuracy,
    /// A time after now (beyond the clock skew a phone may have).
    #[error("in_future")]
    InFuture,
    /// A time too long ago to be a new report.
    #[error("too_old")]
    TooOld,
    /// Not a UUID as the phone generates them.
    #[error("bad_uuid")]
    BadUuid,
    /// Not an ISO week such as 2026-W48.
    #[error("bad_week")]
    BadWeek,
    /// A zero report (零报告) that lists reports.
    #[error("zero_report_with_items")]
    ZeroReportWithItems,
    /// A weekly report that is not a zero report but lists no reports.
    #[error("empty_report")]
    EmptyReport,
    /// A listed report found outside the weekly report's week.
    #[error("wrong_week")]
    WrongWeek,
    /// A form whose one-time key was already used for another submission (a page
    /// restored from a cache, or a browser that refilled a hidden field).
    #[error("already_sent")]
    AlreadySent,
}

impl Problem {
    pub const ALL: [Problem; 34] = [
        Problem::Required,
        Problem::TooLong,
        Problem::ControlCharacters,
        Problem::WrongParent,
        Problem::WrongScope,
        Problem::BadUsername,
        Problem::UsernameTaken,
        Problem::TooShort,
        Problem::CommonPassword,
        Problem::WrongPassword,
        Problem::Duplicate,
        Problem::UnknownValue,
        Problem::Mismatch,
        Problem::BadPhone,
        Problem::FileEmpty,
        Problem::FileTooLarge,
        Problem::FileTypeNotAllowed,
        Problem::TooMany,
        Problem::BadResidentIdLength,
        Problem::BadResidentIdDate,
        Problem::BadResidentIdCheck,
        Problem::BadDate,
        Problem::BadNumber,
        Problem::WrongAnswer,
        Problem::BadCoordinates,
        Problem::BadAccuracy,
        Problem::InFuture,
        Problem::TooOld,
        Problem::BadUuid,
        Problem::BadWeek,
        Problem::ZeroReportWithItems,
        Problem::EmptyReport,
        Problem::WrongWeek,
        Problem::AlreadySent,
    ];

    /// The stable code, also the i18n key suffix.
    pub fn code(self) -> &'static str {
        match self {
            Problem::Required => "required",
            Problem::TooLong => "too_long",
            Problem::ControlCharacters => "control_characters",
            Problem::WrongParent => "wrong_parent",
            Problem::WrongScope => "wrong_scope",
            Problem::BadUsername => "bad_username",
            Problem::UsernameTaken => "username_taken",
            Problem::TooShort => "too_short",
            Problem::CommonPassword => "common_password",
            Problem::WrongPassword => "wrong_password",
            Problem::Duplicate => "duplicate",
            Problem::UnknownValue => "unknown_value",
            Problem::Mismatch => "mismatch",
            Problem::BadPhone => "bad_phone",
            Problem::FileEmpty => "file_empty",
            Problem::FileTooLarge => "file_too_large",
            Problem::FileTypeNotAllowed => "file_type_not_allowed",
            Problem::TooMany => "too_many",
            Problem::BadResidentIdLength => "bad_resident_id_length",
            Problem::BadResidentIdDate => "bad_resident_id_date",
            Problem::BadResidentIdCheck => "bad_resident_id_check",
            Problem::BadDate => "bad_date",
            Problem::BadNumber => "bad_number",
            Problem::WrongAnswer => "wrong_answer",
            Problem::BadCoordinates => "bad_coordinates",
            Problem::BadAccuracy => "bad_accuracy",
            Problem::InFuture => "in_future",
            Problem::TooOld => "too_old",
            Problem::BadUuid => "bad_uuid",
            Problem::BadWeek => "bad_week",
            Problem::ZeroReportWithItems => "zero_report_with_items",
            Problem::EmptyReport => "empty_report",
            Problem::WrongWeek => "wrong_week",
            Problem::AlreadySent => "already_sent",
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

/// Folds the full-width forms of ASCII (`１２３`, `Ｘ`, `－`, the ideographic space) into
/// ASCII. Chinese keyboards on phones type them for digits and letters; every ID, phone,
/// number and code is read through this, so `１１０１…` is the same as `1101…`.
pub fn half_width(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect()
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

/// An optional phone number, as people write it: blank is none; otherwise a mainland
/// mobile (11 digits starting with 1), kept as its 11 digits, or a landline with its area
/// code (0 and 9 to 11 more digits), kept as `area-number`. Spaces, dashes, dots and
/// brackets between digits are dropped, full-width digits folded, and the country code
/// (`+86`, `0086`) taken off: `139-1234-5678`, `+86 139 1234 5678` and `+8613912345678`
/// are all `13912345678`; `(0731) 8888 8888` and `+86 731 88888888` are `0731-88888888`.
pub fn clean_phone(field: &str, raw: &str) -> Result<Option<String>, FieldError> {
    let bad = || FieldError::new(field, Problem::BadPhone);
    let folded = half_width(raw);
    let written: String = folded
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '(' | ')'))
        .collect();
    if written.is_empty() {
        return Ok(None);
    }
    let (international, national) = match written
        .strip_prefix("+86")
        .or_else(|| written.strip_prefix("0086"))
    {
        Some(rest) => (true, rest),
        None => (false, written.as_str()),
    };
    if national.is_empty() || !national.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    if national.len() == 11 && national.starts_with('1') {
        return Ok(Some(national.to_owned()));
    }
    // From abroad a landline's area code loses its leading 0.
    let landline = if international && !national.starts_with('0') {
        format!("0{national}")
    } else {
        national.to_owned()
    };
    if !landline.starts_with('0') || !(10..=12).contains(&landline.len()) {
        return Err(bad());
    }
    // Beijing (010) and the 02x cities have three-digit area codes; the rest four.
    let area = if matches!(landline.as_bytes()[1], b'1' | b'2') {
        3
    } else {
        4
    };
    let (code, number) = landline.split_at(area);
    if !(7..=8).contains(&number.len()) {
        return Err(bad());
    }
    Ok(Some(format!("{code}-{number}")))
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
    fn phones_are_mobiles_or_landlines() {
        assert_eq!(clean_phone("phone", " ").unwrap(), None);
        assert_eq!(
            clean_phone("phone", "138 0013 8000").unwrap().as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            clean_phone("phone", "0731-8888888").unwrap().as_deref(),
            Some("0731-8888888")
        );
        for bad in [
            "1380013800",
            "23800138000",
            "138001380001",
            "0731-888888",
            "0731-888888888",
            "+1 415 555 0100",
            "+86",
            "phone",
            "138OO138000",
        ] {
            assert_eq!(
                clean_phone("phone", bad).unwrap_err().problem,
                Problem::BadPhone,
                "{bad}"
            );
        }
    }

    #[test]
    fn phones_are_read_as_people_write_them() {
        for (written, kept) in [
            ("139-1234-5678", "13912345678"),
            ("139.1234.5678", "13912345678"),
            ("+86 139 1234 5678", "13912345678"),
            ("+8613912345678", "13912345678"),
            ("0086 139 1234 5678", "13912345678"),
            ("＋８６　１３９１２３４５６７８", "13912345678"),
            ("07318888888", "0731-8888888"),
            ("0731 8888 8888", "0731-88888888"),
            ("(0731) 8888-8888", "0731-88888888"),
            ("（０７３１）８８８８８８８８", "0731-88888888"),
            ("010-6512 3456", "010-65123456"),
            ("02087654321", "020-87654321"),
            ("+86 731 88888888", "0731-88888888"),
            ("+86 10 6512 3456", "010-65123456"),
        ] {
            assert_eq!(
                clean_phone("phone", written).unwrap().as_deref(),
                Some(kept),
                "{written}"
            );
        }
    }

    #[test]
    fn full_width_forms_fold_to_ascii() {
        assert_eq!(half_width("１３８　００１３ ８０００"), "138 0013 8000");
        assert_eq!(half_width("ＸＦ－２０２６ｘ"), "XF-2026x");
        assert_eq!(half_width("东湖村"), "东湖村");
        assert_eq!(
            clean_phone("phone", "１３８００１３８０００").unwrap().as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            clean_phone("phone", "０７３１－８８８８８８８")
                .unwrap()
                .as_deref(),
            Some("0731-8888888")
        );
    }

    #[test]
    fn problem_codes_match_their_wire_names() {
        // A code sent over the wire must find its translation under the same name.
        for p in Problem::ALL {
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.code()));
            assert_eq!(p.to_string(), p.code());
        }
    }
}
