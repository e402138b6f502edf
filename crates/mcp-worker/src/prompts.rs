//! Prompts: message templates a user picks in the client (slash commands, menus), and the
//! API one is written against.
//!
//! A prompt is a type implementing [`Prompt`]: its name, description, arguments, the
//! scopes it needs and an async `get` that gets the arguments as a typed value and the
//! same [`Context`] a tool gets, and returns messages. Registered in one line in a
//! [`Registry`]; listing, paging, argument checks, revision shaping and scope challenges
//! are done in `crate::mcp`.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Only this crate implements [`DynPrompt`] (for every [`Prompt`]): its methods may change.
mod sealed {
    pub trait Sealed {}
}

pub use crate::completion::{Completer, Completion, CompletionRequest};
pub use crate::primitives::{Icon, PromptError, Role};
pub use crate::tools::{Content, Context, NoArgs};

use crate::primitives::registry::{self, Entries, Entry};
use crate::protocol::wire::content as wire;
use crate::protocol::wire::content::AsBlock;
use crate::protocol::wire::{Object, Shape};
use crate::tools::{args, BoxFuture};

/// One argument of a prompt. Arguments are strings on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argument {
    /// The argument's name, as clients send it.
    pub name: &'static str,
    /// A human-readable name (sent from 2025-06-18 on).
    pub title: Option<&'static str>,
    /// What the argument is, for the user; `""` sends none.
    pub description: &'static str,
    /// Whether every `prompts/get` must give it.
    pub required: bool,
}

impl Argument {
    /// A required argument, without a title.
    pub const fn required(name: &'static str, description: &'static str) -> Self {
        Argument {
            name,
            title: None,
            description,
            required: true,
        }
    }

    /// An optional argument, without a title.
    pub const fn optional(name: &'static str, description: &'static str) -> Self {
        Argument {
            name,
            title: None,
            description,
            required: false,
        }
    }
}

/// One prompt. Implement it for a unit struct and register `&Yours`.
///
/// ```ignore
/// impl Prompt for Review {
///     const NAME: &'static str = "review";
///     const DESCRIPTION: &'static str = "Review a piece of code.";
///     const ARGUMENTS: &'static [Argument] = &[Argument::required("code", "The code")];
///     type Args = ReviewArgs; // #[derive(Deserialize)] struct ReviewArgs { code: String }
///     async fn get(&self, args: ReviewArgs, _: &Context) -> Result<PromptResult, PromptError> {
///         Ok(PromptResult::user(format!("Please review:\n{}", args.code)))
///     }
/// }
/// ```
#[allow(async_fn_in_trait)] // a worker is single-threaded: futures need not be Send
pub trait Prompt: Sync + 'static {
    /// Unique in the server.
    const NAME: &'static str;
    /// A human-readable name (sent from 2025-06-18 on).
    const TITLE: Option<&'static str> = None;
    /// What the prompt does, for the user choosing it; `""` sends none.
    const DESCRIPTION: &'static str;
    /// The arguments it takes, in order; none by default.
    const ARGUMENTS: &'static [Argument] = &[];
    /// Icons clients may show (sent from 2025-11-25 on).
    const ICONS: &'static [Icon] = &[];
    /// Scopes a token must grant to get it: without them, `403` with an
    /// `insufficient_scope` challenge, as for a tool.
    const SCOPES: &'static [&'static str] = &[];
    /// `get` may ask the client for input (`ctx.input`, 2026-07-28).
    const ASKS_FOR_INPUT: bool = false;

    /// The arguments, deserialized after they pass the checks [`Prompt::ARGUMENTS`] imply
    /// (each a string, the required ones present, no others). A struct of `String`s and
    /// `Option<String>`s, or [`crate::tools::NoArgs`].
    type Args: DeserializeOwned;

    /// How an argument is completed (`completion/complete` with `ref/prompt`).
    fn completer(_argument: &str) -> Completer {
        Completer::None
    }

    /// Builds the messages. An `Err` answers the `prompts/get` with a JSON-RPC error (see
    /// [`PromptError`]).
    async fn get(&self, args: Self::Args, ctx: &Context) -> Result<PromptResult, PromptError>;
}

/// One message of a prompt.
#[derive(Clone, Debug, PartialEq)]
pub struct PromptMessage {
    /// Who speaks: the user or the assistant.
    pub role: Role,
    /// What is said: one content block.
    pub content: Content,
}

impl PromptMessage {
    /// A message from the user.
    pub fn user(content: Content) -> Self {
        PromptMessage {
            role: Role::User,
            content,
        }
    }

    /// A message from the assistant.
    pub fn assistant(content: Content) -> Self {
        PromptMessage {
            role: Role::Assistant,
            content,
        }
    }
}

/// What `prompts/get` returns: an optional description and the messages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PromptResult {
    /// The result's `description`, if any.
    pub description: Option<String>,
    /// The messages, in order.
    pub messages: Vec<PromptMessage>,
}

impl PromptResult {
    /// These messages, without a description.
    pub fn new(messages: Vec<PromptMessage>) -> Self {
        PromptResult {
            description: None,
            messages,
        }
    }

    /// One user message of text.
    pub fn user(text: impl Into<String>) -> Self {
        Self::new(vec![PromptMessage::user(Content::text(text))])
    }

    /// Adds a message.
    pub fn with(mut self, message: PromptMessage) -> Self {
        self.messages.push(message);
        self
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The `GetPromptResult` for `version`, as JSON.
    pub fn into_json(self, version: crate::protocol::version::Version) -> Value {
        crate::protocol::wire::to_value(&self, version)
    }
}

/// Written by `protocol::wire::content::get_prompt_result`: each message's content
/// shaped as tool content is (a block the revision lacks becomes text).
impl Shape for PromptResult {
    fn members(&self, out: &mut Object<'_>) {
        let messages = self.messages.iter().map(|m| wire::PromptMessage {
            role: m.role.as_str(),
            content: m.content.block(),
        });
        wire::get_prompt_result(out, self.description.as_deref(), messages);
    }
}

/// What a listing says about a prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    /// The prompt's `name`.
    pub name: &'static str,
    /// Its human-readable `title`, if any.
    pub title: Option<&'static str>,
    /// Its `description`; `""` sends none.
    pub description: &'static str,
    /// The arguments it takes.
    pub arguments: &'static [Argument],
    /// The `icons` clients may show.
    pub icons: &'static [Icon],
    /// Scopes a token must grant to get it.
    pub scopes: &'static [&'static str],
    /// Its `get` may ask the client for input.
    pub asks_for_input: bool,
}

/// A [`Prompt`] behind a pointer, as the registry holds it.
pub trait DynPrompt: sealed::Sealed + Sync {
    /// What a listing says about it.
    fn info(&self) -> Info;
    /// How `argument` is completed (`Prompt::completer`).
    fn completer(&self, argument: &str) -> Completer;
    /// Checks and deserializes `args`, then runs `get`.
    fn get(
        &'static self,
        args: Map<String, Value>,
        ctx: Context,
    ) -> BoxFuture<'static, Result<PromptResult, PromptError>>;
}

impl<T: Prompt> sealed::Sealed for T {}

impl<T: Prompt> DynPrompt for T {
    fn info(&self) -> Info {
        Info {
            name: T::NAME,
            title: T::TITLE,
            description: T::DESCRIPTION,
            arguments: T::ARGUMENTS,
            icons: T::ICONS,
            scopes: T::SCOPES,
            asks_for_input: T::ASKS_FOR_INPUT,
        }
    }
    fn completer(&self, argument: &str) -> Completer {
        T::completer(argument)
    }
    fn get(
        &'static self,
        args: Map<String, Value>,
        ctx: Context,
    ) -> BoxFuture<'static, Result<PromptResult, PromptError>> {
        Box::pin(async move {
            let schema = arguments_schema(T::ARGUMENTS);
            let args: T::Args = args::parse_for(args::Noun::Prompt, args, &schema)
                .map_err(|e| PromptError::invalid(e.0))?;
            Prompt::get(self, args, &ctx).await
        })
    }
}

/// The JSON Schema the declared arguments imply: an object of strings, the required ones
/// required, no others.
pub fn arguments_schema(arguments: &[Argument]) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for a in arguments {
        let mut p = Map::new();
        p.insert("type".into(), "string".into());
        props.insert(a.name.into(), Value::Object(p));
        if a.required {
            required.push(Value::from(a.name));
        }
    }
    let mut s = Map::new();
    s.insert("type".into(), "object".into());
    s.insert("properties".into(), Value::Object(props));
    s.insert("required".into(), Value::Array(required));
    s.insert("additionalProperties".into(), false.into());
    Value::Object(s)
}

/// The prompts of a server, in the order `prompts/list` returns them.
pub struct Registry {
    prompts: Entries<dyn DynPrompt>,
    /// The server code that serves them: linked by `new`, not by `EMPTY`.
    methods: Option<&'static crate::mcp::primitive_methods::Methods>,
}

impl Entry for dyn DynPrompt {
    #[inline]
    fn key(&self) -> &'static str {
        self.info().name
    }
    #[inline]
    fn scopes(&self) -> &'static [&'static str] {
        self.info().scopes
    }
    #[inline]
    fn asks_for_input(&self) -> bool {
        self.info().asks_for_input
    }
}

impl Registry {
    /// How many prompts one page of `prompts/list` holds, unless
    /// [`Registry::with_page_size`] says otherwise.
    pub const PAGE_SIZE: usize = 50;

    /// No prompts: the server declares no `prompts` capability.
    pub const EMPTY: Registry = Registry {
        prompts: Entries::new(&[], Self::PAGE_SIZE),
        methods: None,
    };

    /// The registry of `prompts`, in listing order. It links the code that serves them.
    pub const fn new(prompts: &'static [&'static dyn DynPrompt]) -> Self {
        Registry {
            prompts: Entries::new(prompts, Self::PAGE_SIZE),
            methods: Some(&crate::mcp::primitive_methods::METHODS),
        }
    }

    /// The code that serves the registry; `None` for [`Registry::EMPTY`].
    pub(crate) fn methods(&self) -> Option<&'static crate::mcp::primitive_methods::Methods> {
        self.methods
    }

    /// The same registry with pages of `page_size` prompts ([`Registry::check`] refuses 0).
    pub const fn with_page_size(mut self, page_size: usize) -> Self {
        self.prompts = self.prompts.with_page_size(page_size);
        self
    }

    /// Whether it holds no prompts.
    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty()
    }

    /// Every prompt, in listing order.
    pub fn all(&self) -> &'static [&'static dyn DynPrompt] {
        self.prompts.all()
    }

    /// How many prompts one page of `prompts/list` holds.
    pub fn page_size(&self) -> usize {
        self.prompts.page_size()
    }

    /// The prompt named `name`.
    pub fn get(&self, name: &str) -> Option<&'static dyn DynPrompt> {
        self.prompts.get(name)
    }

    /// Every scope some prompt requires; a scope several prompts require comes once for
    /// each.
    pub fn scopes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.prompts.scopes()
    }

    /// Whether some prompt may ask the client for input.
    pub fn asks_for_input(&self) -> bool {
        self.prompts.asks_for_input()
    }

    /// Checks unique names and argument names and a page size of at least 1. The worker
    /// runs it (through `Server::check`) before serving any request.
    pub fn check(&self) -> Result<(), String> {
        if self.prompts.page_size() == 0 {
            return Err("a prompt registry's page size must be at least 1".into());
        }
        // The prompt checks come with the code that serves prompts (see
        // `crate::mcp::primitive_methods`): a server without prompts links neither.
        match self.methods {
            Some(m) => (m.check_prompts)(self.prompts.all()),
            None => Ok(()),
        }
    }

    /// [`Registry::check`] for a unit test of each server's registry: panics with the
    /// problem.
    pub fn assert_valid(&self) {
        registry::assert_valid(self.check());
    }
}

/// Unique prompt names, and unique argument names within each prompt.
pub(crate) fn check_prompts(prompts: &[&'static dyn DynPrompt]) -> Result<(), String> {
    let mut names: Vec<&str> = Vec::new();
    for p in prompts {
        let info = p.info();
        if info.name.is_empty() {
            return Err("a prompt's NAME is empty".into());
        }
        if names.contains(&info.name) {
            return Err(format!("two prompts are named {}", info.name));
        }
        names.push(info.name);
        let mut args: Vec<&str> = Vec::new();
        for a in info.arguments {
            if args.contains(&a.name) {
                return Err(format!("{}: two arguments are named {}", info.name, a.name));
            }
            args.push(a.name);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{get_prompt, Refused};

    struct Topic;
    impl Prompt for Topic {
        const NAME: &'static str = "topic";
        const DESCRIPTION: &'static str = "one optional argument";
        const ARGUMENTS: &'static [Argument] = &[Argument::optional("topic", "what about")];
        type Args = crate::tools::NoArgs;
        async fn get(
            &self,
            _: crate::tools::NoArgs,
            _: &Context,
        ) -> Result<PromptResult, PromptError> {
            Ok(PromptResult::user("hi"))
        }
    }

    #[test]
    fn argument_errors_name_the_prompt_and_echo_what_was_sent() {
        let Err(Refused::Error(e)) = get_prompt(&Topic, serde_json::json!({"this tool": "x"}))
        else {
            panic!("an unknown argument passes")
        };
        assert_eq!(
            e.message(),
            "Unknown argument 'this tool'; this prompt takes only: topic."
        );
    }
}
