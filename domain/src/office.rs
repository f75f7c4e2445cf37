//! What a petition office publishes (《信访工作条例》 Art. 18): its address, phone, mailing
//! address, reception days and places, and how to follow a petition. Edited by an admin,
//! shown to everyone on the guide page.

use serde::{Deserialize, Serialize};

use crate::field::Week;
use crate::petition::{clean_optional_text, clean_text};
use crate::validation::FieldError;

/// What waits for a township petition office, counted for the clerk's desk (only for
/// the roles that keep those lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeDesk {
    /// Online petitions and agents' filings not yet registered.
    pub awaiting_registration: i64,
    /// Field reports no clerk has read yet, and how many of them are urgent.
    pub reports_new: i64,
    pub reports_urgent: i64,
    /// The latest week whose weekly report is due, and its villages with none and with
    /// a late one.
    pub weekly_week: Week,
    pub weekly_missing: usize,
    pub weekly_late: usize,
}

/// The longest entry, in characters.
pub const INFO_MAX: usize = 1000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OfficeInfo {
    pub address: String,
    pub phone: String,
    pub mailing_address: String,
    /// Reception days, hours and places, one per line (e.g. a leader's reception day).
    pub reception: String,
    /// Anything else: how to follow a petition, buses, accessibility.
    pub notes: String,
}

impl OfficeInfo {
    /// Trims every entry; address, phone and reception are required, the rest optional.
    pub fn check(&self) -> Result<OfficeInfo, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut required = |field: &str, raw: &str| {
            clean_text(field, raw, INFO_MAX)
                .map_err(|e| errors.push(e))
                .unwrap_or_default()
        };
        let address = required("address", &self.address);
        let phone = required("phone", &self.phone);
        let reception = required("reception", &self.reception);
        let mut optional = |field: &str, raw: &str| {
            clean_optional_text(field, raw, INFO_MAX)
                .map_err(|e| errors.push(e))
                .ok()
                .flatten()
                .unwrap_or_default()
        };
        let mailing_address = optional("mailing_address", &self.mailing_address);
        let notes = optional("notes", &self.notes);
        if errors.is_empty() {
            Ok(OfficeInfo {
                address,
                phone,
                mailing_address,
                reception,
                notes,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Problem;

    #[test]
    fn address_phone_and_reception_are_required() {
        let errors = OfficeInfo::default().check().unwrap_err();
        let fields: Vec<(&str, Problem)> = errors.iter().map(|e| (e.field.as_str(), e.problem)).collect();
        assert_eq!(
            fields,
            [
                ("address", Problem::Required),
                ("phone", Problem::Required),
                ("reception", Problem::Required)
            ]
        );
        let ok = OfficeInfo {
            address: " 东湖镇政府一楼 ".into(),
            phone: "0731-8888888".into(),
            reception: "每周三上午 镇领导接访日\n工作日 8:30-17:30".into(),
            ..OfficeInfo::default()
        }
        .check()
        .unwrap();
        assert_eq!(ok.address, "东湖镇政府一楼");
        assert_eq!(ok.notes, "");
    }
}
