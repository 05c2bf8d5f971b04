//! The IdP's user directory (IDP-11): who a subject is, and the groups and roles the central
//! policy grants by.

use std::collections::BTreeMap;
use std::fmt;

/// One user of the directory: the `sub` of the ID tokens this IdP issues, with the groups and
/// roles the administrator's policy rows may name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirectoryUser {
    /// The user's identifier at this IdP (the ID token `sub`).
    pub subject: String,
    /// The user's e-mail address, if known.
    pub email: Option<String>,
    /// Groups the user belongs to.
    pub groups: Vec<String>,
    /// Roles the user holds.
    pub roles: Vec<String>,
}

impl DirectoryUser {
    /// A user known by `subject`, in no group and with no role.
    #[must_use]
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            email: None,
            groups: Vec::new(),
            roles: Vec::new(),
        }
    }

    /// Set the e-mail address.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Add the user to `groups`.
    #[must_use]
    pub fn in_groups<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.groups.extend(groups.into_iter().map(Into::into));
        self
    }

    /// Give the user `roles`.
    #[must_use]
    pub fn with_roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }
}

/// Where the IdP looks users up by subject (IDP-11). Synchronous: a directory is read from
/// memory (or a cache the application keeps fresh), so that policy decisions and their
/// explanations stay pure functions of the directory and the policy table.
pub trait UserDirectory: Send + Sync + fmt::Debug {
    /// The user whose ID-token `sub` is `subject`; `None` when the directory does not know
    /// them (a [`StaticPolicy`](super::StaticPolicy) with a directory then denies:
    /// `invalid_target`, OQ-15).
    fn lookup(&self, subject: &str) -> Option<DirectoryUser>;
}

/// An in-memory [`UserDirectory`].
///
/// ```
/// use ema_server::idp::{DirectoryUser, MemoryDirectory, UserDirectory};
///
/// let directory = MemoryDirectory::new()
///     .with_user(DirectoryUser::new("alice").in_groups(["engineering"]).with_roles(["admin"]));
/// assert_eq!(directory.lookup("alice").map(|u| u.groups), Some(vec!["engineering".to_owned()]));
/// assert!(directory.lookup("mallory").is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryDirectory {
    users: BTreeMap<String, DirectoryUser>,
}

impl MemoryDirectory {
    /// An empty directory: nobody is known.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `user` (replacing any user with the same subject).
    #[must_use]
    pub fn with_user(mut self, user: DirectoryUser) -> Self {
        self.insert(user);
        self
    }

    /// Add `user` (replacing any user with the same subject).
    pub fn insert(&mut self, user: DirectoryUser) {
        self.users.insert(user.subject.clone(), user);
    }

    /// The users, ordered by subject.
    pub fn users(&self) -> impl Iterator<Item = &DirectoryUser> {
        self.users.values()
    }

    /// How many users are known.
    #[must_use]
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether nobody is known.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

impl UserDirectory for MemoryDirectory {
    fn lookup(&self, subject: &str) -> Option<DirectoryUser> {
        self.users.get(subject).cloned()
    }
}
