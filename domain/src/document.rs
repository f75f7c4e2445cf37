//! The documents the office issues on paper for a petition (受理告知书, 不予受理告知书,
//! 交办单, 处理意见书): which step issues each, and the number it carries (发文字号,
//! GB/T 9704-2012 §7.3.3: the issuer's code, the year in 〔〕, the running number, 号).
//! A number is given in the transaction of the step that issues the document, per
//! township, kind and year, so a reprint shows the same number.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::petition::{Step, names};
use crate::registry::PetitionDetail;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 受理告知书: the petition is registered and will be routed (Art. 22).
    ReceiptNotice,
    /// 不予受理告知书, with the reasons (Art. 24).
    DeclineNotice,
    /// 交办单: to the department that handles it.
    Assignment,
    /// 信访事项处理意见书 (Art. 32).
    Decision,
}

names!(DocumentKind {
    ReceiptNotice => "receipt_notice", DeclineNotice => "decline_notice",
    Assignment => "assignment", Decision => "decision",
});

impl DocumentKind {
    /// The document a step issues, if any. A clerk's intake registers at once, and so
    /// issues the receipt notice too.
    pub fn issued_by(step: Step) -> Option<DocumentKind> {
        match step {
            Step::Register => Some(Self::ReceiptNotice),
            Step::Decline => Some(Self::DeclineNotice),
            Step::Assign => Some(Self::Assignment),
            Step::RecordDecision => Some(Self::Decision),
            _ => None,
        }
    }

    /// The issuer's code before the year: 信 (petition office) and the document's kind
    /// in one character, 不受 for a decline so it never reads as 受 (accepted).
    pub fn prefix(self) -> &'static str {
        match self {
            Self::ReceiptNotice => "信受",
            Self::DeclineNotice => "信不受",
            Self::Assignment => "信交",
            Self::Decision => "信处",
        }
    }

    /// The title printed on it. Official documents are in Chinese whatever the screen
    /// language.
    pub fn title(self) -> &'static str {
        match self {
            Self::ReceiptNotice => "信访事项受理告知书",
            Self::DeclineNotice => "信访事项不予受理告知书",
            Self::Assignment => "信访事项交办单",
            Self::Decision => "信访事项处理意见书",
        }
    }

    /// Taking the step again issues a new document with a new number: an assignment
    /// after a return goes to another unit. An amended decision (until it is
    /// delivered) is the same document and keeps its number.
    pub fn renumbered_when_repeated(self) -> bool {
        self == Self::Assignment
    }
}

/// A document's number: 信受〔2026〕12号.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentNumber {
    pub kind: DocumentKind,
    pub year: i32,
    pub number: i64,
}

impl DocumentNumber {
    /// The year a document issued at `at` is numbered in: China's calendar year.
    pub fn year_of(at: DateTime<Utc>) -> i32 {
        crate::registry::china_date(at).year()
    }
}

impl std::fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}〔{}〕{}号", self.kind.prefix(), self.year, self.number)
    }
}

/// The office as a document names it: its full name, and the address and phone it
/// publishes (empty until an admin writes them; the document then leaves them out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letterhead {
    pub name: String,
    pub address: String,
    pub phone: String,
}

impl Letterhead {
    /// The township's petition office, named from the township's unit in the org tree
    /// (东湖镇 → 东湖镇信访办公室); `address` and `phone` from its published information.
    pub fn new(township: &str, address: &str, phone: &str) -> Letterhead {
        Letterhead {
            name: format!("{}信访办公室", township.trim()),
            address: address.trim().to_owned(),
            phone: phone.trim().to_owned(),
        }
    }
}

/// Everything a printed document shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedDocument {
    pub kind: DocumentKind,
    pub detail: PetitionDetail,
    /// None while the step that issues it has not been taken.
    pub number: Option<DocumentNumber>,
    /// Its date: the day it was issued (a decision: last written), so a reprint is the
    /// same document; today for one not issued yet.
    pub issued_on: NaiveDate,
    pub office: Letterhead,
    /// Whom it is addressed to: the petitioner's name, where the reader may see it, or
    /// the department an assignment goes to.
    pub addressee: Option<String>,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn numbers_read_as_gb_t_9704_writes_them() {
        let n = |kind, number| DocumentNumber {
            kind,
            year: 2026,
            number,
        };
        assert_eq!(n(DocumentKind::ReceiptNotice, 12).to_string(), "信受〔2026〕12号");
        assert_eq!(n(DocumentKind::DeclineNotice, 1).to_string(), "信不受〔2026〕1号");
        assert_eq!(n(DocumentKind::Assignment, 7).to_string(), "信交〔2026〕7号");
        assert_eq!(n(DocumentKind::Decision, 130).to_string(), "信处〔2026〕130号");
    }

    #[test]
    fn the_year_is_chinas() {
        // 31 December 2025, 16:00 UTC is already 1 January 2026 in China.
        let at = Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap();
        assert_eq!(DocumentNumber::year_of(at), 2026);
        assert_eq!(DocumentNumber::year_of(at - chrono::Duration::seconds(1)), 2025);
    }

    #[test]
    fn each_kind_has_its_step_and_name() {
        for kind in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(kind.as_str()), Some(*kind));
            let steps: Vec<Step> = Step::ALL
                .iter()
                .copied()
                .filter(|s| DocumentKind::issued_by(*s) == Some(*kind))
                .collect();
            assert_eq!(steps.len(), 1, "{kind:?}");
        }
        assert_eq!(DocumentKind::parse("receipt"), None);
        let prefixes: std::collections::HashSet<_> = DocumentKind::ALL.iter().map(|k| k.prefix()).collect();
        assert_eq!(prefixes.len(), DocumentKind::ALL.len());
    }

    #[test]
    fn the_office_is_named_from_its_township() {
        let l = Letterhead::new(" 东湖镇 ", " 东湖镇人民政府一楼 ", "0731-88886666 ");
        assert_eq!(l.name, "东湖镇信访办公室");
        assert_eq!(l.address, "东湖镇人民政府一楼");
        assert_eq!(l.phone, "0731-88886666");
        assert_eq!(Letterhead::new("西岭乡", "", "").address, "");
    }
}
