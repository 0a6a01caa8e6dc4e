#![doc = include_str!("../README.md")]
//!
//! Module map: `login` (OIDC login initiation), `launch` (the id_token pipeline), `claims`
//! (typed claims and [`Launch`]), `keys` (tool keys, rotation, JWKS), `platform_jwks` (the
//! platforms' key sets, cached), `registration` ([`Registration`] and dynamic registration),
//! `tool` (the tool's URLs and `config.json`), `deep_linking`, `token` (service access
//! tokens), `ags`, `nrps`, `store` (the storage seams and their in-memory versions), `clock`,
//! `error`. Private helpers: `jwt` (compact JWS encoding), `http` (bounded bodies), `html`.

pub mod ags;
pub mod claims;
mod clock;
pub mod deep_linking;
mod error;
mod html;
mod http;
mod jwt;
pub mod keys;
pub mod launch;
pub mod login;
pub mod nrps;
pub mod platform_jwks;
pub mod registration;
pub mod store;
pub mod token;
mod tool;

pub use ags::Ags;
pub use claims::{Launch, MessageType, Roles};
pub use clock::Clock;
pub use deep_linking::{ContentItem, DeepLinkingResponse};
pub use error::{
    DeepLinkingError, JwksError, KeyError, LaunchError, LaunchErrorKind, LoginError,
    RegistrationError, ServiceError, StoreError, ToolError,
};
pub use keys::{KeySet, ToolKey};
pub use launch::{LaunchConfig, LaunchForm, LaunchValidator, StateBinding};
pub use login::{AuthRedirect, Login, LoginRequest, PlatformStorage};
pub use nrps::Nrps;
pub use platform_jwks::PlatformKeys;
pub use registration::{DynamicRegistration, Registration, is_under};
pub use store::{MemoryStore, Stores};
pub use token::{AccessToken, ServiceConnector};
pub use tool::Tool;

/// The LTI version every message must carry (`…/claim/version`).
pub const LTI_VERSION: &str = "1.3.0";
