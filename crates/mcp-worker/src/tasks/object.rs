//! The object that keeps one task: its record in storage, its alarm, and the run of its
//! tool. On Workers this is the body of a Durable Object (`src/durable.rs` is the
//! workers-rs face); here it is plain Rust over [`Storage`], tested on the host.
//!
//! One object per task, so the object's one alarm is the task's: first "run now", then
//! "expire at creation + TTL". The tool runs in the alarm handler, so the runtime starts
//! it again if the object is evicted or the run is cut short; [`MAX_RUNS`] bounds that.
//! A task's tool is re-run from the top after each `tasks/update`, with every answer
//! given so far (the same model as 2026-07-28 `input_required` rounds).

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use serde_json::{json, Map, Value};

use super::record::{error_json, Record, Status};
use super::MAX_RUNS;
use crate::primitives::context::TaskSignals;
use crate::protocol::from_value;
use crate::protocol::jsonrpc::{RpcError, INTERNAL_ERROR};
use crate::protocol::version::Version;
use crate::tools::{BoxFuture, CallResult, Context, Platform, Registry};

/// The object's durable storage and alarm.
pub trait Storage {
    fn load(&self) -> BoxFuture<'_, Result<Option<String>, String>>;
    fn save(&self, record: String) -> BoxFuture<'_, Result<(), String>>;
    /// Deletes every stored value and the alarm.
    fn delete_all(&self) -> BoxFuture<'_, Result<(), String>>;
    fn set_alarm(&self, at_ms: u64) -> BoxFuture<'_, Result<(), String>>;
}

/// The logic of one task's object.
pub struct Object {
    storage: Rc<dyn Storage>,
    tools: &'static Registry,
    platform: Rc<dyn Platform>,
    clock: fn() -> u64,
    /// The record as last loaded or written; `None` before the first load and after
    /// deletion.
    cache: RefCell<Option<Record>>,
    loaded: RefCell<bool>,
    /// The signals of the run in progress, if any.
    running: RefCell<Option<Rc<TaskSignals>>>,
}

/// What [`Object::handle`] answers.
fn unknown() -> Value {
    json!({ "unknown": true })
}

fn ack() -> Value {
    json!({ "ok": true })
}

impl Object {
    /// The object of one task: its storage, the tools it may run, the platform they
    /// run on and its clock.
    pub fn new(
        storage: Rc<dyn Storage>,
        tools: &'static Registry,
        platform: Rc<dyn Platform>,
        clock: fn() -> u64,
    ) -> Self {
        Object {
            storage,
            tools,
            platform,
            clock,
            cache: RefCell::new(None),
            loaded: RefCell::new(false),
            running: RefCell::new(None),
        }
    }

    async fn load(&self) -> Result<(), String> {
        if *self.loaded.borrow() {
            return Ok(());
        }
        let stored = self.storage.load().await?;
        let record = match stored {
            None => None,
            Some(text) => Some(
                from_value::from_slice::<Record>(text.as_bytes())
                    .map_err(|e| format!("a stored task does not parse: {e}"))?,
            ),
        };
        // Another event may have loaded it while this one waited.
        if !*self.loaded.borrow() {
            *self.cache.borrow_mut() = record;
            *self.loaded.borrow_mut() = true;
        }
        Ok(())
    }

    async fn save(&self) -> Result<(), String> {
        let text = match self.cache.borrow().as_ref() {
            Some(r) => serde_json::to_string(r).map_err(|e| e.to_string())?,
            None => return Ok(()),
        };
        self.storage.save(text).await
    }

    async fn delete(&self) -> Result<(), String> {
        *self.cache.borrow_mut() = None;
        if let Some(run) = self.running.borrow_mut().take() {
            run.cancel();
        }
        self.storage.delete_all().await
    }

    /// The record, if it exists, is not expired (an expired one is deleted) and belongs
    /// to `owner`; another owner's task is answered as unknown, never with its data.
    async fn visible(&self, owner: Option<&str>) -> Result<bool, String> {
        self.load().await?;
        let now = (self.clock)();
        let (exists, expired, mine) = match self.cache.borrow().as_ref() {
            None => (false, false, false),
            Some(r) => (true, r.is_expired(now), owner.is_none_or(|o| o == r.owner)),
        };
        if expired {
            self.delete().await?;
            return Ok(false);
        }
        Ok(exists && mine)
    }

    fn update(&self, f: impl FnOnce(&mut Record)) {
        let now = (self.clock)();
        if let Some(r) = self.cache.borrow_mut().as_mut() {
            f(r);
            r.updated_ms = now;
        }
    }

    fn status(&self) -> Option<Status> {
        self.cache.borrow().as_ref().map(|r| r.status)
    }

    fn expires(&self) -> Option<u64> {
        self.cache.borrow().as_ref().map(Record::expires_ms)
    }

    /// One operation from the worker: `{"op": "create", "task": Record}`, or
    /// `{"op": "get" | "update" | "cancel", "owner": …}` (`update` with
    /// `inputResponses`). Answers `{"task": …}`, `{"ok": true}` or `{"unknown": true}`.
    pub async fn handle(&self, op: Value) -> Result<Value, String> {
        let owner = op["owner"].as_str();
        match op["op"].as_str() {
            Some("create") => {
                let mut record: Record = from_value::from_value(&op["task"])
                    .map_err(|e| format!("a create request does not parse: {e}"))?;
                // The object's clock stamps it, to the millisecond.
                record.created_ms = (self.clock)();
                record.updated_ms = record.created_ms;
                self.load().await?;
                if self.cache.borrow().is_some() {
                    return Err("a task with this id exists already".into());
                }
                let answer = record.create_result();
                let now = record.created_ms;
                *self.cache.borrow_mut() = Some(record);
                // Stored before the answer leaves: a tasks/get right after it finds the
                // task (SEP-2663 "Task Creation").
                self.save().await?;
                self.storage.set_alarm(now).await?;
                Ok(json!({ "task": answer }))
            }
            Some("get") => {
                if !self.visible(owner).await? {
                    return Ok(unknown());
                }
                let task = self.cache.borrow().as_ref().map(Record::detailed);
                Ok(json!({ "task": task }))
            }
            Some("update") => {
                if !self.visible(owner).await? {
                    return Ok(unknown());
                }
                let answers = op["inputResponses"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                if self.status() != Some(Status::InputRequired) {
                    // Nothing is outstanding: answers to keys not asked are ignored.
                    return Ok(ack());
                }
                let mut resume = false;
                self.update(|r| {
                    for (key, answer) in answers {
                        // Only outstanding keys count (SEP-2663 "Task Update Requests").
                        if r.input_requests.remove(&key).is_some() {
                            r.responses.insert(key, answer);
                        }
                    }
                    if r.input_requests.is_empty() {
                        r.status = Status::Working;
                        r.status_message = None;
                        resume = true;
                    }
                });
                self.save().await?;
                if resume {
                    self.storage.set_alarm((self.clock)()).await?;
                }
                Ok(ack())
            }
            Some("cancel") => {
                if !self.visible(owner).await? {
                    return Ok(unknown());
                }
                if self.status().is_some_and(|s| !s.is_terminal()) {
                    self.update(|r| {
                        r.status = Status::Cancelled;
                        r.status_message = Some("Cancelled at the client's request.".into());
                        r.input_requests.clear();
                    });
                    if let Some(run) = self.running.borrow_mut().take() {
                        run.cancel();
                    }
                    self.save().await?;
                    if let Some(at) = self.expires() {
                        self.storage.set_alarm(at).await?;
                    }
                }
                Ok(ack())
            }
            _ => Err("unknown operation".into()),
        }
    }

    /// The alarm: runs the tool when the task is working, deletes it once expired.
    pub async fn alarm(&self) -> Result<(), String> {
        self.load().await?;
        let Some(expires) = self.expires() else {
            // Nothing stored (deleted already): nothing to do.
            return self.storage.delete_all().await;
        };
        if (self.clock)() >= expires {
            return self.delete().await;
        }
        if self.status() == Some(Status::Working) && self.running.borrow().is_none() {
            self.run().await?;
        }
        match self.expires() {
            Some(at) if self.status() != Some(Status::Working) => self.storage.set_alarm(at).await,
            _ => Ok(()),
        }
    }

    async fn run(&self) -> Result<(), String> {
        let Some(snapshot) = self.cache.borrow().clone() else {
            return Ok(());
        };
        self.update(|r| r.unfinished_runs += 1);
        if snapshot.unfinished_runs >= MAX_RUNS {
            self.settle(Err(RpcError {
                code: INTERNAL_ERROR,
                message: format!(
                    "The task's work was cut short {MAX_RUNS} times (the object was evicted, ran past its time limit or crashed) and is not started again."
                ),
                data: None,
            }));
            return self.save().await;
        }
        self.save().await?;
        let Some((tool, def)) = self.tools.get(&snapshot.tool) else {
            self.settle(Err(RpcError::invalid_params(format!(
                "the tool '{}' no longer exists on this server",
                snapshot.tool
            ))));
            return self.save().await;
        };
        let signals = Rc::new(TaskSignals::default());
        *self.running.borrow_mut() = Some(signals.clone());
        let ctx = Context::new(
            snapshot.caller.map(|c| std::sync::Arc::new(c.into())),
            self.platform.clone(),
            Version::V2026_07_28,
        )
        .with_streaming(false)
        .with_input(tool.asks_for_input())
        .with_task(signals.clone());
        let exchange = ctx.exchange();
        {
            let mut ex = exchange.borrow_mut();
            ex.client_capabilities = snapshot.client_capabilities;
            ex.responses = snapshot.responses;
        }
        let mut future = tool.run(crate::tools::RunCall {
            args: snapshot.arguments,
            input_schema: &def.input_schema,
            ctx,
        });
        enum Step {
            Done(CallResult),
            Status,
            Cancelled,
        }
        let result = loop {
            let step = poll_fn(|cx| {
                if signals.is_cancelled() {
                    return Poll::Ready(Step::Cancelled);
                }
                signals.set_waker(cx.waker());
                match future.as_mut().poll(cx) {
                    Poll::Ready(r) => Poll::Ready(Step::Done(r)),
                    Poll::Pending if signals.take_status_changed() => Poll::Ready(Step::Status),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await;
            match step {
                Step::Done(r) => break r,
                // Dropping the future stops the tool at its await (SEP-2663 "Task
                // Cancellation": cooperative, and here it is honoured at once).
                Step::Cancelled => return Ok(()),
                Step::Status => {
                    let message = signals.status();
                    if self.status() == Some(Status::Working) {
                        self.update(|r| r.status_message = message);
                        self.save().await?;
                    }
                }
            }
        };
        drop(future);
        *self.running.borrow_mut() = None;
        let outcome = {
            let ex = exchange.borrow();
            if let Some(err) = ex.error() {
                Err(err)
            } else if !ex.requests.is_empty() {
                Ok(Outcome::Input(ex.requests.clone()))
            } else {
                Ok(Outcome::Done(result.into_json(Version::V2026_07_28)))
            }
        };
        self.settle(outcome);
        self.save().await
    }

    /// Records how a run ended, unless the task was cancelled or deleted meanwhile.
    fn settle(&self, outcome: Result<Outcome, RpcError>) {
        if self.status() != Some(Status::Working) {
            return;
        }
        self.update(|r| match outcome {
            Ok(Outcome::Done(result)) => {
                r.unfinished_runs = 0;
                r.status = Status::Completed;
                r.result = Some(result);
            }
            Ok(Outcome::Input(requests)) => {
                r.unfinished_runs = 0;
                r.status = Status::InputRequired;
                r.status_message = Some("Waiting for the client's input.".into());
                r.input_requests = requests;
            }
            Err(e) => {
                r.status = Status::Failed;
                r.status_message = Some(e.message.clone());
                r.error = Some(error_json(&e));
            }
        });
    }
}

enum Outcome {
    Done(Value),
    Input(Map<String, Value>),
}
