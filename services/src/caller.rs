use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, AuditOutcome, NewAuditEntry};
use domain::auth::CurrentUser;

/// Who is asking, from where, and when: everything a use case needs to decide and to
/// write the audit log. Built by the HTTP edge from the session and the request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Option<CurrentUser>,
    /// The hash of the session token the request came with.
    pub session: Option<String>,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub now: DateTime<Utc>,
}

impl Caller {
    pub fn anonymous(now: DateTime<Utc>) -> Self {
        Self {
            user: None,
            session: None,
            address: None,
            user_agent: None,
            now,
        }
    }

    pub fn user(&self) -> crate::Result<&CurrentUser> {
        self.user.as_ref().ok_or(crate::ServiceError::Unauthenticated)
    }

    /// An audit entry for this caller, ready to add the record to.
    pub fn audit(&self, action: AuditAction, outcome: AuditOutcome) -> NewAuditEntry {
        let mut entry = NewAuditEntry::new(self.now, action, outcome);
        if let Some(user) = &self.user {
            entry.user_id = Some(user.user_id);
            entry.username = Some(user.username.clone());
            entry.township_id = user.grants.iter().find_map(|g| g.township_id);
        }
        entry.address = self.address.clone();
        entry.user_agent = self.user_agent.as_ref().map(|ua| ua.chars().take(300).collect());
        entry
    }
}

impl Caller {
    /// Logs a refusal (`action` on the record of `kind` and `record_id`) and answers "not
    /// found": outside their scope, a caller learns nothing, not even that it exists.
    pub(crate) async fn refused(
        &self,
        db: &storage::Database,
        action: AuditAction,
        kind: domain::policy::ResourceKind,
        record_id: Option<String>,
    ) -> crate::ServiceError {
        let mut entry = self.audit(action, AuditOutcome::Denied);
        entry.record_kind = Some(kind.as_str().into());
        entry.record_id = record_id;
        match db.append_audit(&entry).await {
            Ok(()) => crate::ServiceError::NotFound,
            Err(e) => e.into(),
        }
    }
}
