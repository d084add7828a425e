use serde::Deserialize;
use utoipa::IntoParams;

/// What WeChat signs every push with (and, on the handshake, the string to echo).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Signed {
    /// SHA-1 (hex) of the push token, `timestamp` and `nonce`, sorted and joined.
    pub signature: String,
    pub timestamp: String,
    pub nonce: String,
    /// The handshake only: answered back as it came.
    pub echostr: Option<String>,
}
