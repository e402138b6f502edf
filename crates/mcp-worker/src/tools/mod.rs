//! Tools: what the server offers, and the API a tool is written against.
//!
//! A tool is a type that implements [`Tool`]: its name and description, its arguments as
//! a Rust type with the schema declared beside it ([`Schema`]), the scopes it needs, and
//! an async handler that gets the arguments and a [`Context`]. Listing, paging, argument
//! checking, revision shaping, content blocks and scope challenges are done here and in
//! `crate::mcp` for every tool. A server lists its tools in a [`Registry`], which its
//! `mcp::Server` names. A tool may name an MCP Apps view that draws its
//! results (`const VIEW`, see `crate::apps` and docs/apps.md).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::sync::OnceLock;

use crate::apps::{ToolUi, View, Visibility};
use crate::primitives::registry::{self, Entries, Entry};
use crate::protocol::param_headers::{self, ParamHeader};

pub(crate) mod args;
/// Only this crate implements [`DynTool`] (for every [`Tool`]): its methods may change.
/// Running a tool is the server's job alone (a test runs one through `testing`).
pub(crate) mod sealed {
    use serde_json::{Map, Value};

    use crate::primitives::{BoxFuture, Context};
    use crate::tools::CallResult;

    pub trait Sealed {}

    /// What one run of a tool takes. Only this crate can make one, so only the server
    /// runs a tool, whatever reaches its `dyn DynTool`.
    pub struct RunCall {
        pub(crate) args: Map<String, Value>,
        /// The tool's input schema, from its definition (kept for the isolate's life).
        pub(crate) input_schema: &'static Value,
        pub(crate) ctx: Context,
    }

    /// A tool's run, behind its registry entry.
    pub trait Run {
        /// Checks and deserializes the arguments against the input schema, then runs
        /// the tool. The future owns what it needs, so it can outlive the request
        /// handler while it streams.
        fn run(&'static self, call: RunCall) -> BoxFuture<'static, CallResult>;
    }
}
pub(crate) mod content;

pub use args::{NoArgs, Schema};
pub use content::{CallResult, Content, IntoCallResult, Json, ResourceLink};
// The context and the errors live below the tools (`crate::primitives`), shared by every
// primitive; a tool author finds them here.
pub(crate) use crate::primitives::context::SharedExchange;
pub use crate::primitives::{
    BoxFuture, Caller, Context, FetchError, FetchRequest, FetchResponse, InputKind, InputRequest,
    LogLevel, Platform, ToolError,
};
pub(crate) use sealed::RunCall;

/// One tool. Implement it for a unit struct and register `&YourTool`.
///
/// ```ignore
/// impl Tool for Add {
///     const NAME: &'static str = "add";
///     const DESCRIPTION: &'static str = "Add two numbers, a and b, and return the sum.";
///     type Args = AddArgs;           // Deserialize + Schema
///     type Output = Json<Sum>;       // Serialize + Schema: structuredContent
///     async fn call(&self, args: AddArgs, ctx: &Context) -> Result<Json<Sum>, ToolError> { /* … */ }
/// }
/// ```
#[allow(async_fn_in_trait)] // a worker is single-threaded: tool futures need not be Send
pub trait Tool: Sync + 'static {
    /// Unique, 1 to 128 characters of `A-Za-z0-9_-.` (2025-11-25 server/tools "Tool Names").
    const NAME: &'static str;
    /// A short human-readable name (sent from 2025-06-18 on).
    const TITLE: Option<&'static str> = None;
    /// What the model reads to decide when and how to call the tool.
    const DESCRIPTION: &'static str;
    /// Scopes a token must grant to call this tool, beyond `REQUIRED_SCOPES`. A call
    /// without them gets `403` with an `insufficient_scope` challenge naming them.
    const SCOPES: &'static [&'static str] = &[];
    /// The tool may ask the client for input (`ctx.input`): the server then needs the
    /// `INPUT_STATE_KEY` secret to seal `requestState`, and refuses to serve without it.
    const ASKS_FOR_INPUT: bool = false;
    /// Whether a call may outlive its request as a task (`io.modelcontextprotocol/tasks`;
    /// see docs/tasks.md). The server needs a Durable Object binding for tasks.
    const TASK_SUPPORT: TaskSupport = TaskSupport::Forbidden;
    /// How long a task of this tool, and its result, are kept after it was created.
    const TASK_TTL_MS: u64 = DEFAULT_TASK_TTL_MS;
    /// The MCP Apps view that draws this tool's results in hosts that render views
    /// (`crate::apps`); register the view as a resource too.
    const VIEW: Option<&'static View> = None;
    /// Who may call the tool: the model, views, or both (the default).
    const VISIBILITY: Visibility = Visibility::ModelAndApp;
    /// Short status text ChatGPT shows while the tool runs and once it is done (at most 64
    /// characters each; `openai/toolInvocation/invoking` and `…/invoked`).
    const INVOKING: Option<&'static str> = None;
    /// The status text ChatGPT shows once the tool is done
    /// (`openai/toolInvocation/invoked`, at most 64 characters).
    const INVOKED: Option<&'static str> = None;

    /// The arguments, deserialized after they pass the schema's checks.
    type Args: DeserializeOwned + Schema;
    /// What the handler returns: [`Json<T>`] for a structured result, a [`CallResult`],
    /// [`Content`] blocks, or a `String`.
    type Output: IntoCallResult;

    /// The arguments' JSON Schema; by default the one declared beside `Args`.
    fn input_schema() -> Value {
        Self::Args::schema()
    }

    /// The result's JSON Schema; by default the one declared beside the output type.
    fn output_schema() -> Option<Value> {
        Self::Output::output_schema()
    }

    /// Behaviour hints such as `readOnlyHint` (sent from 2025-03-26 on).
    fn annotations() -> Option<Value> {
        None
    }

    /// Does the work. `Err` becomes a result with `isError: true` whose text the model
    /// reads and can act on.
    async fn call(&self, args: Self::Args, ctx: &Context) -> Result<Self::Output, ToolError>;

    /// For a task-supporting tool: what to settle in the request before the work is
    /// handed to a task, such as asking the user (`ctx.input`, answered in 2026-07-28
    /// `input_required` rounds of the `tools/call` itself). Answers given here are seen
    /// by `call`'s own `ctx.input` with the same key. `Err` answers the call with a tool
    /// error and creates no task. Without tasks it runs just before `call`.
    async fn prepare(&self, args: &Self::Args, ctx: &Context) -> Result<(), ToolError> {
        let _ = (args, ctx);
        Ok(())
    }
}

/// Whether a tool's calls may become tasks (the extension's `taskSupport`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskSupport {
    /// Always answered in the request (the default).
    #[default]
    Forbidden,
    /// A task when the client declares the extension, else answered in the request.
    Optional,
    /// Only as a task: a client without the extension gets `-32021`.
    Required,
}

/// How long a task and its data are kept after it was created, unless the tool says
/// otherwise (`Tool::TASK_TTL_MS`): one hour.
pub const DEFAULT_TASK_TTL_MS: u64 = 3_600_000;
/// A [`Tool`] behind a pointer, as the registry holds it. Implemented for every `Tool`.
pub trait DynTool: sealed::Sealed + sealed::Run + Sync {
    /// The tool's name (`Tool::NAME`).
    fn name(&self) -> &'static str;
    /// Its human-readable name (`Tool::TITLE`).
    fn title(&self) -> Option<&'static str>;
    /// Its description (`Tool::DESCRIPTION`).
    fn description(&self) -> &'static str;
    /// Scopes a token must grant to call it (`Tool::SCOPES`).
    fn scopes(&self) -> &'static [&'static str];
    /// Whether it may ask the client for input (`Tool::ASKS_FOR_INPUT`).
    fn asks_for_input(&self) -> bool;
    /// The tool's task side; `None` for a tool whose `TASK_SUPPORT` is `Forbidden` (then
    /// none of it is linked into the worker).
    fn task(&'static self) -> Option<&'static dyn TaskTool>;
    /// What it says about MCP Apps views: its `VIEW`, `VISIBILITY`, `INVOKING` and
    /// `INVOKED`.
    fn ui(&self) -> ToolUi;
    /// The JSON parts of its definition: schemas, annotations, `_meta` and `x-mcp-header`
    /// parameters.
    fn definition(&self) -> Definition;
}

impl<T: Tool> sealed::Sealed for T {}

impl<T: Tool> sealed::Run for T {
    fn run(&'static self, call: sealed::RunCall) -> BoxFuture<'static, CallResult> {
        let sealed::RunCall {
            args,
            input_schema,
            ctx,
        } = call;
        Box::pin(async move {
            let args = match args::parse::<T::Args>(args, input_schema) {
                Ok(a) => a,
                Err(e) => return e.into(),
            };
            // A task tool answered in the request (a client or a server without tasks)
            // settles first what it would settle before a task: `prepare`'s contract.
            // In a task, `prepare` already ran in the request that created it.
            if T::TASK_SUPPORT != TaskSupport::Forbidden && !ctx.in_task() {
                if let Err(e) = Tool::prepare(self, &args, &ctx).await {
                    return e.into();
                }
            }
            match self.call(args, &ctx).await {
                Ok(out) => out.into_call_result(),
                Err(e) => e.into(),
            }
        })
    }
}

impl<T: Tool> DynTool for T {
    fn name(&self) -> &'static str {
        T::NAME
    }
    fn title(&self) -> Option<&'static str> {
        T::TITLE
    }
    fn description(&self) -> &'static str {
        T::DESCRIPTION
    }
    fn scopes(&self) -> &'static [&'static str] {
        T::SCOPES
    }
    fn asks_for_input(&self) -> bool {
        T::ASKS_FOR_INPUT
    }
    fn task(&'static self) -> Option<&'static dyn TaskTool> {
        // Decided at compile time (a `const` block, not `==`, which rustc's MIR does not
        // fold): for a `Forbidden` tool the `Some` arm is gone before codegen, so its
        // `TaskTool` vtable, and the `prepare` it points to, is never built. With `==`
        // LLVM kept the vtable's address in the `None` it returns.
        if const { matches!(T::TASK_SUPPORT, TaskSupport::Forbidden) } {
            None
        } else {
            Some(self)
        }
    }
    fn ui(&self) -> ToolUi {
        ToolUi {
            view: T::VIEW,
            visibility: T::VISIBILITY,
            invoking: T::INVOKING,
            invoked: T::INVOKED,
        }
    }
    fn definition(&self) -> Definition {
        let input_schema = T::input_schema();
        Definition {
            // An invalid declaration is refused before any request is served
            // (`Registry::check`), so this never drops a header a client must send.
            param_headers: param_headers::from_schema(&input_schema).unwrap_or_default(),
            input_schema,
            output_schema: T::output_schema(),
            annotations: T::annotations(),
            meta: self.ui().meta(),
        }
    }
}

/// The task side of a [`Tool`] whose calls may become tasks.
pub trait TaskTool: Sync {
    /// Whether its calls may or must become tasks (`Tool::TASK_SUPPORT`).
    fn support(&self) -> TaskSupport;
    /// How long a task of this tool is kept after it was created, in milliseconds
    /// (`Tool::TASK_TTL_MS`).
    fn ttl_ms(&self) -> u64;
    /// Checks the arguments and runs [`Tool::prepare`]: `Some` is the call's answer
    /// when it must stop there (bad arguments, or the tool's error).
    fn prepare<'a>(
        &'static self,
        args: &Map<String, Value>,
        input_schema: &'static Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Option<CallResult>>;
}

impl<T: Tool> TaskTool for T {
    fn support(&self) -> TaskSupport {
        T::TASK_SUPPORT
    }
    fn ttl_ms(&self) -> u64 {
        T::TASK_TTL_MS
    }
    fn prepare<'a>(
        &'static self,
        args: &Map<String, Value>,
        input_schema: &'static Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Option<CallResult>> {
        let args = args.clone();
        Box::pin(async move {
            let args = match args::parse::<T::Args>(args, input_schema) {
                Ok(a) => a,
                Err(e) => return Some(e.into()),
            };
            Tool::prepare(self, &args, ctx)
                .await
                .err()
                .map(CallResult::from)
        })
    }
}

/// The JSON parts of a tool's definition, built once per isolate.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    /// The `inputSchema`.
    pub input_schema: Value,
    /// The `outputSchema`, when the result is structured.
    pub output_schema: Option<Value>,
    /// Behaviour hints such as `readOnlyHint` (`annotations`), if any.
    pub annotations: Option<Value>,
    /// The definition's `_meta`: what MCP Apps hosts read (`crate::apps`).
    pub meta: Option<Value>,
    /// The parameters the input schema marks with `x-mcp-header` (2026-07-28), usually
    /// none: a client mirrors them into `Mcp-Param-{Name}` headers, checked per call.
    pub param_headers: Vec<ParamHeader>,
}

/// The tools in a fixed order, served in pages.
pub struct Registry {
    tools: Entries<dyn DynTool>,
    definitions: OnceLock<Vec<Definition>>,
}

impl Entry for dyn DynTool {
    #[inline]
    fn key(&self) -> &'static str {
        self.name()
    }
    #[inline]
    fn scopes(&self) -> &'static [&'static str] {
        DynTool::scopes(self)
    }
    #[inline]
    fn asks_for_input(&self) -> bool {
        DynTool::asks_for_input(self)
    }
}

/// One page of `tools/list`: each tool with its definition.
pub struct Page<'a> {
    /// The page's tools, in registry order, each with its definition.
    pub tools: Vec<(&'static dyn DynTool, &'a Definition)>,
    /// The `nextCursor` of the following page; `None` on the last.
    pub next_cursor: Option<String>,
}

pub use crate::primitives::InvalidCursor;

impl Registry {
    /// How many tools one page of `tools/list` holds, unless [`Registry::with_page_size`]
    /// says otherwise.
    pub const PAGE_SIZE: usize = 50;

    /// The registry of `tools`, in listing order, in pages of [`Registry::PAGE_SIZE`].
    pub const fn new(tools: &'static [&'static dyn DynTool]) -> Self {
        Self::with_page_size(tools, Self::PAGE_SIZE)
    }

    /// The registry of `tools`, in listing order, in pages of `page_size`
    /// ([`Registry::check`] refuses 0).
    pub const fn with_page_size(tools: &'static [&'static dyn DynTool], page_size: usize) -> Self {
        Registry {
            tools: Entries::new(tools, page_size),
            definitions: OnceLock::new(),
        }
    }

    fn definitions(&self) -> &[Definition] {
        self.definitions
            .get_or_init(|| self.tools.all().iter().map(|t| t.definition()).collect())
    }

    /// A tool by name, with its definition.
    pub fn get(&self, name: &str) -> Option<(&'static dyn DynTool, &Definition)> {
        let i = self.tools.position(name)?;
        Some((self.tools.all()[i], &self.definitions()[i]))
    }

    /// Every tool, in registry order.
    pub fn all(&self) -> &'static [&'static dyn DynTool] {
        self.tools.all()
    }

    /// The arguments every tool mirrors into `Mcp-Param-*` headers (2026-07-28
    /// `x-mcp-header`), tool by tool.
    pub fn param_headers(&self) -> impl Iterator<Item = &ParamHeader> {
        self.definitions().iter().flat_map(|d| &d.param_headers)
    }

    /// Some tool may ask the client for input.
    pub fn asks_for_input(&self) -> bool {
        self.tools.asks_for_input()
    }

    /// Every scope some tool requires, each once, in registry order.
    pub fn scopes(&self) -> Vec<&'static str> {
        let mut all: Vec<&'static str> = Vec::new();
        for s in self.tools.all().iter().flat_map(|t| t.scopes()) {
            if !all.contains(s) {
                all.push(s);
            }
        }
        all
    }

    /// One page, with the cursors every list uses (`primitives::page`).
    pub fn page(&self, cursor: Option<&str>) -> Result<Page<'_>, InvalidCursor> {
        let (range, next_cursor) = self.tools.page(cursor)?;
        let definitions = &self.definitions()[range.clone()];
        Ok(Page {
            tools: self.tools.all()[range]
                .iter()
                .copied()
                .zip(definitions)
                .collect(),
            next_cursor,
        })
    }

    /// What every registry must hold, checked before the server serves a request (the
    /// worker refuses to serve when it fails): unique valid names, object schemas, and
    /// `x-mcp-header` declarations as 2026-07-28 server/tools "x-mcp-header" requires.
    /// The error names the tool and the rule.
    pub fn check(&self) -> Result<(), String> {
        if self.tools.page_size() == 0 {
            return Err("a registry's page size must be at least 1".into());
        }
        for (i, tool) in self.tools.all().iter().enumerate() {
            let name = tool.name();
            if self.tools.repeats(i, name) {
                return Err(format!("two tools are named {name}"));
            }
            if let Some(problem) = tool.ui().problem() {
                return Err(format!("{name}: {problem}"));
            }
            if !(1..=128).contains(&name.len())
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
            {
                return Err(format!(
                    "tool name {name:?}: use 1 to 128 of A-Z a-z 0-9 _ - ."
                ));
            }
            // The definitions the registry keeps: built here once, at start-up, not again
            // for the first listing or call.
            let def = &self.definitions()[i];
            if def.input_schema["type"] != "object" {
                return Err(format!("{name}: inputSchema must have type object"));
            }
            if def
                .output_schema
                .as_ref()
                .is_some_and(|o| o["type"] != "object")
            {
                return Err(format!("{name}: outputSchema must have type object"));
            }
            param_headers::from_schema(&def.input_schema).map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    }

    /// [`Registry::check`] as an assertion, for a unit test of each server's registry.
    pub fn assert_valid(&self) {
        registry::assert_valid(self.check());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct T;
    impl Tool for T {
        const NAME: &'static str = "t";
        const DESCRIPTION: &'static str = "test";
        const SCOPES: &'static [&'static str] = &["a", "b"];
        type Args = NoArgs;
        type Output = String;
        async fn call(&self, _: NoArgs, _: &Context) -> Result<String, ToolError> {
            Ok("ok".into())
        }
    }
    static FIVE: [&dyn DynTool; 5] = [&T, &T, &T, &T, &T];

    #[test]
    fn pages_walk_every_tool_once() {
        let reg = Registry::with_page_size(&FIVE, 2);
        let mut seen = 0;
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = reg.page(cursor.as_deref()).unwrap();
            seen += page.tools.len();
            pages += 1;
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!((seen, pages), (5, 3));
    }

    #[test]
    fn cursors_not_issued_by_the_server_are_refused() {
        let reg = Registry::with_page_size(&FIVE, 2);
        for &bad in crate::primitives::FOREIGN_CURSORS {
            assert_eq!(reg.page(Some(bad)).err(), Some(InvalidCursor), "{bad:?}");
        }
        assert!(reg.page(Some("p2")).is_ok());
        assert!(reg.page(Some("p4")).is_ok());
    }

    struct Forgetful;
    impl Tool for Forgetful {
        const NAME: &'static str = "forgetful";
        const DESCRIPTION: &'static str = "asks for input without declaring it";
        type Args = NoArgs;
        type Output = String;
        async fn call(&self, _: NoArgs, ctx: &Context) -> Result<String, ToolError> {
            ctx.info("working");
            let answer = ctx.input("ok", InputRequest::list_roots())?;
            Ok(answer.to_string())
        }
    }

    #[test]
    fn a_tool_that_asks_without_declaring_it_is_told_what_to_set() {
        let out = crate::testing::call_tool(&Forgetful, json!({}));
        assert!(out.is_error);
        assert!(
            matches!(&out.content[0], Content::Text(t) if t.contains("ASKS_FOR_INPUT")),
            "{out:?}"
        );
    }

    #[test]
    fn notifications_that_cannot_reach_the_client_are_not_kept() {
        use std::rc::Rc;
        let ctx = |streams| {
            Context::new(
                None,
                Rc::new(crate::testing::TestPlatform::default()),
                crate::protocol::version::Version::V2025_11_25,
            )
            .with_log_level(Some(LogLevel::Info))
            .with_streaming(streams)
        };
        let (_, sent) = crate::testing::call_tool_in(&Forgetful, json!({}), ctx(true));
        assert_eq!(sent.len(), 1);
        let (_, sent) = crate::testing::call_tool_in(&Forgetful, json!({}), ctx(false));
        assert!(sent.is_empty());
    }

    struct BadHeader;
    impl Tool for BadHeader {
        const NAME: &'static str = "bad_header";
        const DESCRIPTION: &'static str = "mirrors a number, which x-mcp-header forbids";
        type Args = NoArgs;
        type Output = String;
        fn input_schema() -> Value {
            json!({"type": "object", "properties": {"n": {"type": "number", "x-mcp-header": "N"}}})
        }
        async fn call(&self, _: NoArgs, _: &Context) -> Result<String, ToolError> {
            Ok("never".into())
        }
    }

    #[test]
    fn a_bad_x_mcp_header_fails_the_registry_check_naming_the_tool() {
        static BAD: [&dyn DynTool; 2] = [&T, &BadHeader];
        let err = Registry::new(&BAD).check().unwrap_err();
        assert!(err.starts_with("bad_header: x-mcp-header \"N\""), "{err}");
        assert!(err.contains("\"number\""), "{err}");
        let panic = std::panic::catch_unwind(|| Registry::new(&BAD).assert_valid()).unwrap_err();
        assert!(panic.downcast_ref::<String>().is_some_and(|m| m == &err));
    }

    #[test]
    fn scopes_are_listed_once() {
        assert_eq!(Registry::new(&FIVE).scopes(), vec!["a", "b"]);
    }
}
