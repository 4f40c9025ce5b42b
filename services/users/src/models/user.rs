//! The `users` table as a sea-orm entity: the stored row, with its password hash.
//!
//! This is not the API's type: handlers convert a [`Model`] into
//! [`UserResponse`], which has no hash field.
#![allow(missing_docs)] // the derives generate `Column`, `ActiveModel`, ... without docs

use std::fmt;

use sea_orm::entity::prelude::*;
use shared_models::users::UserResponse;

/// An account as stored.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Primary key; never reused.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Login name, unique (index `users_username_key`).
    #[sea_orm(unique)]
    pub username: String,
    /// Contact address.
    pub email: String,
    /// Display name.
    pub full_name: Option<String>,
    /// Argon2id PHC string: internal, never part of a response or a log line.
    pub hashed_password: String,
    /// Whether the account may log in and use its tokens.
    pub is_active: bool,
    /// Whether the account is an administrator (tokens then carry role `admin`).
    pub is_admin: bool,
    /// When the account was created.
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Like a derived `Debug`, without the password hash.
impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("is_active", &self.is_active)
            .field("is_admin", &self.is_admin)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// The roles this account's tokens carry.
    pub fn roles(&self) -> Vec<String> {
        if self.is_admin {
            vec![<crate::Admin as apiarist::security::Role>::NAME.to_owned()]
        } else {
            Vec::new()
        }
    }
}

impl From<&Model> for UserResponse {
    fn from(row: &Model) -> Self {
        UserResponse {
            id: i64::from(row.id),
            username: row.username.clone(),
            email: row.email.clone(),
            full_name: row.full_name.clone(),
            is_active: row.is_active,
        }
    }
}
