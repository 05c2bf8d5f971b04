//! Token-endpoint plumbing shared by every role: request preflight, the rejection type and
//! response rendering, and dispatch on `grant_type` so EMA grants compose with an
//! application's own grants at one endpoint.
//!
//! Handlers are sans-IO over `http::Request<Vec<u8>>` → `http::Response<Vec<u8>>`
//! ([`ema_types::transport::HttpRequest`] / [`HttpResponse`]); adapters only convert.

mod dispatch;
mod preflight;
mod rejection;
mod response;

pub use dispatch::{GrantHandler, TokenEndpoint};
pub use preflight::{MAX_TOKEN_REQUEST_BYTES, preflight};
pub use rejection::Rejection;
pub use response::json_response;

pub use ema_types::transport::{HttpRequest, HttpResponse};
