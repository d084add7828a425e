//! Who is calling is decided before what they sent is looked at. actix polls a handler's
//! extractors together, so a body extractor (done as soon as the bytes are in) would answer its
//! 400/413/415/422 before an auth extractor (waiting on the database) could answer 401/403: a
//! caller who may not do an operation would learn about its body. An auth extractor closes the
//! gate in `from_request`, and opens it when it has decided; a body extractor placed after it
//! waits for that, and the auth error, polled first, is the answer.
use actix_web::{HttpMessage, HttpRequest};
use futures_util::FutureExt;
use futures_util::future::Shared;
use tokio::sync::oneshot;

/// Shared, so every extractor after the auth one (the body, the `Idempotency-Key`) can wait.
#[derive(Clone)]
struct Gate(Shared<oneshot::Receiver<()>>);

/// Held by an auth extractor's future until it has decided; dropping it opens the gate.
pub struct Decided(#[allow(dead_code)] Option<oneshot::Sender<()>>);

/// Closes the request's gate, unless an outer auth extractor already holds it.
pub fn close(req: &HttpRequest) -> Decided {
    let mut extensions = req.extensions_mut();
    if extensions.contains::<Gate>() {
        return Decided(None);
    }
    let (open, gate) = oneshot::channel();
    extensions.insert(Gate(gate.shared()));
    Decided(Some(open))
}

/// What an extractor awaits before answering about the request's content: the decision of
/// the auth extractor before it.
pub fn decided(req: &HttpRequest) -> impl Future<Output = ()> + use<> {
    let gate = req.extensions().get::<Gate>().cloned();
    async move {
        if let Some(Gate(gate)) = gate {
            // Closed without a message when the auth extractor's future ends: that is the signal.
            let _ = gate.await;
        }
    }
}
