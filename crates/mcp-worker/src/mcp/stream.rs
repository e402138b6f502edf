//! A `tools/call` whose tool emitted notifications (progress, log messages) before it
//! finished: its answer is the notifications as they are emitted, then the result
//! (basic/transports, "Sending Messages to the Server": the server may send requests and
//! notifications on the response's SSE stream before the response itself).
//!
//! The tool's future lives here; polling this drives the tool. Dropping it (the client
//! closed the stream) drops the future, which cancels the tool's work at its next await.

use std::task::{Context as TaskContext, Poll};

use super::methods::Reply;
use crate::primitives::context::Outbox;
use crate::protocol::jsonrpc::{Id, RpcError};
use crate::protocol::version::Version;
use crate::protocol::wire::{self, Message, ServerInfo};
use crate::tools::BoxFuture;

/// The call's outcome: its result, or an error.
pub type Outcome = Result<Reply, RpcError>;

/// A tool call in progress, or finished with notifications still to send.
pub struct Streaming {
    id: Id,
    version: Version,
    server: ServerInfo<'static>,
    outbox: Outbox,
    /// `None` once the tool has finished.
    future: Option<BoxFuture<'static, Outcome>>,
    result: Option<Outcome>,
    /// Set when the result has been handed out: whether it was a tool error.
    pub tool_error: Option<bool>,
    /// The result asked the client for input (`input_required`).
    pub input_required: bool,
    /// The JSON-RPC error code the stream ended with, if it did.
    pub rpc_error: Option<i64>,
}

impl std::fmt::Debug for Streaming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streaming")
            .field("id", &self.id)
            .field("running", &self.future.is_some())
            .finish()
    }
}

/// Two streams are never the same answer.
impl PartialEq for Streaming {
    fn eq(&self, _: &Self) -> bool {
        false
    }
}

/// How a tool call went when its first poll returned.
pub enum Started {
    /// It finished without emitting anything: a plain answer.
    Done(Outcome),
    /// It emitted notifications (and may still be running): the answer streams.
    Streaming(Streaming),
}

/// Runs `future` until it finishes or emits its first notification, whichever comes
/// first. A tool that emits nothing is answered as one JSON body, as if nothing streamed.
pub async fn start(
    id: Id,
    version: Version,
    server: ServerInfo<'static>,
    outbox: Outbox,
    mut future: BoxFuture<'static, Outcome>,
) -> Started {
    let mut finished = std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(result) => Poll::Ready(Some(result)),
        Poll::Pending if outbox.borrow().is_empty() => Poll::Pending,
        Poll::Pending => Poll::Ready(None),
    })
    .await;
    // A tool that finished without emitting, or that ended in a protocol error (-32021,
    // -32602) before anything was sent, is answered plainly: such errors have statuses of
    // their own (2026-07-28: HTTP 400), and its notifications are moot.
    if let Some(result) = finished.take_if(|r| outbox.borrow().is_empty() || r.is_err()) {
        return Started::Done(result);
    }
    let running = finished.is_none();
    Started::Streaming(Streaming {
        id,
        version,
        server,
        outbox,
        future: running.then_some(future),
        result: finished,
        tool_error: None,
        input_required: false,
        rpc_error: None,
    })
}

impl Streaming {
    /// The next message for the client, written: a notification, then the JSON-RPC
    /// response; `None` after the response.
    pub fn poll_next(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<Message>> {
        loop {
            if let Some(message) = self.outbox.borrow_mut().pop_front() {
                return Poll::Ready(Some(Message::of(&message)));
            }
            if let Some(result) = self.result.take() {
                self.tool_error = Some(result.as_ref().is_ok_and(|r| r.is_tool_error()));
                self.input_required = result.as_ref().is_ok_and(|r| {
                    r.result_type() == crate::protocol::wire::ResultKind::InputRequired
                });
                self.rpc_error = result.as_ref().err().map(|e| e.code);
                return Poll::Ready(Some(match result {
                    Ok(body) => wire::result(&self.id, &*body, &self.server, self.version),
                    Err(e) => wire::error(Some(&self.id), &e, self.version.era()),
                }));
            }
            let Some(future) = self.future.as_mut() else {
                return Poll::Ready(None);
            };
            match future.as_mut().poll(cx) {
                Poll::Ready(result) => {
                    self.future = None;
                    self.result = Some(result);
                }
                Poll::Pending if self.outbox.borrow().is_empty() => return Poll::Pending,
                Poll::Pending => {}
            }
        }
    }

    #[cfg(any(test, feature = "unstable"))]
    /// The tool has finished and everything has been handed out.
    pub fn is_finished(&self) -> bool {
        self.tool_error.is_some() && self.outbox.borrow().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::jsonrpc::RpcError;
    use serde_json::json;

    const SERVER: ServerInfo = ServerInfo {
        name: "s",
        title: "S",
        version: "1",
    };

    #[test]
    fn an_error_before_anything_was_sent_is_a_plain_answer_even_after_notifications() {
        let outbox = Outbox::default();
        outbox
            .borrow_mut()
            .push_back(json!({"method": "notifications/progress"}));
        let future: BoxFuture<'static, Outcome> =
            Box::pin(async { Err(RpcError::invalid_params("bad answer")) });
        let id = Id::from_value(&json!(1)).unwrap();
        let started =
            crate::testing::block_on(start(id, Version::V2026_07_28, SERVER, outbox, future));
        assert!(matches!(started, Started::Done(Err(e)) if e.code == -32602));
    }

    #[test]
    fn notifications_then_a_result_stream_in_order() {
        let outbox = Outbox::default();
        outbox.borrow_mut().push_back(json!({"n": 1}));
        let future: BoxFuture<'static, Outcome> =
            Box::pin(async { Ok(Box::new(json!({"isError": false})) as Reply) });
        let id = Id::from_value(&json!(7)).unwrap();
        let Started::Streaming(mut s) =
            crate::testing::block_on(start(id, Version::V2025_11_25, SERVER, outbox, future))
        else {
            panic!("expected a stream");
        };
        let mut cx = TaskContext::from_waker(std::task::Waker::noop());
        let Poll::Ready(Some(first)) = s.poll_next(&mut cx) else {
            panic!()
        };
        assert_eq!(*first, json!({"n": 1}));
        let Poll::Ready(Some(last)) = s.poll_next(&mut cx) else {
            panic!()
        };
        assert_eq!(last["id"], 7);
        assert!(matches!(s.poll_next(&mut cx), Poll::Ready(None)));
        assert_eq!(s.tool_error, Some(false));
    }
}
