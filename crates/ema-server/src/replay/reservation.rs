//! The future a [`ReplayStore::reserve`](super::ReplayStore::reserve) returns.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::ReplayError;

/// The outcome of a reservation, as a future: `Ok(true)` when the key was free and is now
/// reserved, `Ok(false)` for a replay.
///
/// A store that answers at once, as [`MemoryReplayStore`](super::MemoryReplayStore) does,
/// returns it [ready](Reservation::ready): no allocation and nothing to wait for. A store that
/// waits on a service, as the Redis one does, wraps its `async` block with
/// [`Reservation::waiting`], which boxes it once. Either way the caller just awaits it.
///
/// ```
/// use ema_server::replay::{ReplayError, ReplayKey, ReplayStore, Reservation};
///
/// /// A store that refuses everything (a test double): it answers at once.
/// struct Closed;
///
/// impl ReplayStore for Closed {
///     fn reserve<'a>(&'a self, _: ReplayKey<'a>, _: u64, _: u64) -> Reservation<'a> {
///         Reservation::ready(Err(ReplayError::Full))
///     }
/// }
///
/// /// A store that asks another service (here: an async lookup that always finds the key free).
/// struct Remote;
///
/// impl ReplayStore for Remote {
///     fn reserve<'a>(&'a self, key: ReplayKey<'a>, _: u64, _: u64) -> Reservation<'a> {
///         Reservation::waiting(async move { Ok(!key.jti.is_empty()) })
///     }
/// }
///
/// let key = ReplayKey { kind: "id-jag", issuer: "https://idp.test", jti: "j1" };
/// # let now = |r: Reservation<'_>| {
/// #     let mut r = std::pin::pin!(r);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     match std::future::Future::poll(r.as_mut(), &mut cx) {
/// #         std::task::Poll::Ready(outcome) => outcome,
/// #         std::task::Poll::Pending => unreachable!(),
/// #     }
/// # };
/// // In an async context: `Closed.reserve(key, 1000, 1300).await`.
/// assert_eq!(now(Closed.reserve(key, 1000, 1300)), Err(ReplayError::Full));
/// assert_eq!(now(Remote.reserve(key, 1000, 1300)), Ok(true));
/// ```
#[must_use = "a reservation must be awaited to know whether the key was free"]
pub struct Reservation<'a>(State<'a>);

/// A boxed reservation future of a store that waits.
type Waiting<'a> = Pin<Box<dyn Future<Output = Result<bool, ReplayError>> + Send + 'a>>;

enum State<'a> {
    /// The outcome, until it is taken by the poll that completes the reservation.
    Ready(Option<Result<bool, ReplayError>>),
    Waiting(Waiting<'a>),
}

impl<'a> Reservation<'a> {
    /// A reservation already decided.
    pub fn ready(outcome: Result<bool, ReplayError>) -> Self {
        Self(State::Ready(Some(outcome)))
    }

    /// A reservation decided by `future` (boxed here, once).
    pub fn waiting(future: impl Future<Output = Result<bool, ReplayError>> + Send + 'a) -> Self {
        Self(State::Waiting(Box::pin(future)))
    }
}

impl Future for Reservation<'_> {
    type Output = Result<bool, ReplayError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            State::Ready(outcome) => Poll::Ready(outcome.take().unwrap_or_else(|| {
                // Polled again after it completed: a caller's bug. Refuse rather than panic;
                // a refusal is never a replay let through.
                Err(ReplayError::Unavailable(
                    "reservation polled after it completed".to_owned(),
                ))
            })),
            State::Waiting(future) => future.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for Reservation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            State::Ready(Some(_)) => "Reservation(ready)",
            State::Ready(None) => "Reservation(done)",
            State::Waiting(_) => "Reservation(waiting)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll_once(r: &mut Reservation<'_>) -> Poll<Result<bool, ReplayError>> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        Pin::new(r).poll(&mut cx)
    }

    #[test]
    fn a_ready_reservation_completes_once_and_then_refuses() {
        let mut r = Reservation::ready(Ok(true));
        assert_eq!(format!("{r:?}"), "Reservation(ready)");
        assert_eq!(poll_once(&mut r), Poll::Ready(Ok(true)));
        assert_eq!(format!("{r:?}"), "Reservation(done)");
        assert!(matches!(
            poll_once(&mut r),
            Poll::Ready(Err(ReplayError::Unavailable(_)))
        ));
    }

    #[test]
    fn a_waiting_reservation_is_polled_through() {
        let mut pending = true;
        let mut r = Reservation::waiting(std::future::poll_fn(move |_| {
            if std::mem::take(&mut pending) {
                Poll::Pending
            } else {
                Poll::Ready(Ok(false))
            }
        }));
        assert_eq!(format!("{r:?}"), "Reservation(waiting)");
        assert_eq!(poll_once(&mut r), Poll::Pending);
        assert_eq!(poll_once(&mut r), Poll::Ready(Ok(false)));
    }
}
