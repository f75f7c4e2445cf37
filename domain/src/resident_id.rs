//! The resident identity card number (居民身份证号码, GB 11643-1999): 6 digits of region,
//! 8 of birth date, 3 of sequence and a check character (ISO 7064 MOD 11-2, `X` for 10).
//! Checked so that a mistyped digit is caught while the petitioner is still at the desk.

use chrono::{Datelike, NaiveDate};

use crate::validation::{FieldError, Problem, half_width};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character for the first 17 digits, or None if they are not 17 digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += c.to_digit(10)? * w;
    }
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// An optional resident ID number: blank is none; otherwise 18 characters, a real birth
/// date and the right check character. Spaces are dropped, full-width digits are read
/// as digits and a lower-case `x` is accepted, as people type them.
pub fn clean_resident_id(field: &str, raw: &str) -> Result<Option<String>, FieldError> {
    let id: String = half_width(raw)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if id.is_empty() {
        return Ok(None);
    }
    let bad = |p| Err(FieldError::new(field, p));
    // Checked as characters before anything is split at a byte offset: an ID of 18
    // characters that are not all ASCII must be refused, not cut inside a character.
    let ascii_shape = id.chars().count() == 18
        && id.chars().take(17).all(|c| c.is_ascii_digit())
        && id.chars().last().is_some_and(|c| c.is_ascii_digit() || c == 'X');
    if !ascii_shape {
        return bad(Problem::BadResidentIdLength);
    }
    let (first17, last) = id.split_at(17);
    let born = first17
        .get(6..14)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok());
    if born.is_none_or(|d| d.year() < 1900) {
        return bad(Problem::BadResidentIdDate);
    }
    if check_char(first17).map(String::from).as_deref() != Some(last) {
        return bad(Problem::BadResidentIdCheck);
    }
    Ok(Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_example_checks() {
        // The worked example of GB 11643-1999.
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert_eq!(
            clean_resident_id("id", "11010519491231002x").unwrap().as_deref(),
            Some("11010519491231002X")
        );
        assert_eq!(check_char("44052419800101001"), Some('3'));
        assert!(clean_resident_id("id", "440524 19800101 0013").unwrap().is_some());
        assert_eq!(clean_resident_id("id", "  ").unwrap(), None);
    }

    #[test]
    fn every_single_digit_typo_is_caught() {
        let good = "11010519491231002X";
        for i in 0..17 {
            for d in '0'..='9' {
                let mut chars: Vec<char> = good.chars().collect();
                if chars[i] == d {
                    continue;
                }
                chars[i] = d;
                let typo: String = chars.into_iter().collect();
                assert!(clean_resident_id("id", &typo).is_err(), "{typo}");
            }
        }
    }

    #[test]
    fn full_width_digits_are_digits_and_other_scripts_are_refused() {
        // What a Chinese phone keyboard types: full-width digits and a full-width X.
        assert_eq!(
            clean_resident_id("id", "１１０１０５１９４９１２３１００２Ｘ")
                .unwrap()
                .as_deref(),
            Some("11010519491231002X")
        );
        assert_eq!(
            clean_resident_id("id", "１１０１０５１９４９１２３１００２ｘ")
                .unwrap()
                .as_deref(),
            Some("11010519491231002X")
        );
        // Eighteen characters that are not digits (this split at byte 17 and panicked).
        for odd in [
            "一二三四五六七八九十一二三四五六七八",
            "11010519491231002é",
            "é1010519491231002X",
        ] {
            assert_eq!(
                clean_resident_id("id", odd).unwrap_err().problem,
                Problem::BadResidentIdLength,
                "{odd}"
            );
        }
        assert_eq!(check_char("一二三四五六七八九十一二三四五六七"), None);
    }

    #[test]
    fn each_fault_has_its_own_problem() {
        let problem = |s: &str| clean_resident_id("resident_id", s).unwrap_err().problem;
        assert_eq!(problem("1101051949123100"), Problem::BadResidentIdLength);
        assert_eq!(problem("11010519491231002Y"), Problem::BadResidentIdLength);
        assert_eq!(problem("110105194913310021"), Problem::BadResidentIdDate);
        assert_eq!(problem("110105194912310021"), Problem::BadResidentIdCheck);
        assert_eq!(
            clean_resident_id("resident_id", "x").unwrap_err().field,
            "resident_id"
        );
    }
}
