//! Resources: data a server offers clients to read by URI, and the API one is written
//! against.
//!
//! A resource is a type implementing [`Resource`]: its URI, name, description, MIME type,
//! the scopes it needs and an async `read` that gets the same [`Context`] a tool gets. A
//! resource template ([`ResourceTemplate`]) serves a family of URIs described by an RFC
//! 6570 template (`notes://{id}`), and its `read` gets the variables as a typed value.
//! Both are registered in one line in a [`Registry`]; listing, paging, lookup, revision
//! shaping, scope challenges and "not found" are done in `crate::mcp` for all of them.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Only this crate implements [`DynResource`] and [`DynTemplate`] (for every
/// [`Resource`], [`ResourceTemplate`] and app view): their methods may change.
pub(crate) mod sealed {
    pub trait Resource {}
    pub trait Template {}
}

// Public only with the `unstable` feature (see the crate root).
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod template;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod template;
mod view;

pub use crate::completion::{Completer, Completion, CompletionRequest};
pub use crate::primitives::{Annotations, CacheHint, Icon, ResourceError, Role};
pub use crate::tools::content::{ResourceBody, ResourceContents};
pub use template::UriTemplate;

use crate::primitives::registry::{self, Entries, Entry};
use crate::tools::{args, BoxFuture};
pub use crate::tools::{Context, Schema};

/// One resource with a fixed URI. Implement it for a unit struct and register `&Yours`.
///
/// ```ignore
/// impl Resource for Readme {
///     const URI: &'static str = "docs://readme";
///     const NAME: &'static str = "readme";
///     const DESCRIPTION: &'static str = "How to use this server.";
///     const MIME_TYPE: Option<&'static str> = Some("text/markdown");
///     type Output = &'static str;
///     async fn read(&self, _ctx: &Context) -> Result<&'static str, ResourceError> { Ok("# Hello") }
/// }
/// ```
#[allow(async_fn_in_trait)] // a worker is single-threaded: futures need not be Send
pub trait Resource: Sync + 'static {
    /// The resource's URI (RFC 3986), unique in the server.
    const URI: &'static str;
    /// A short name clients show.
    const NAME: &'static str;
    /// A human-readable name (sent from 2025-06-18 on).
    const TITLE: Option<&'static str> = None;
    /// What it holds, for the model and the user; `""` sends none.
    const DESCRIPTION: &'static str;
    /// The MIME type listed for the resource, and given to text or a [`Blob`] that `read`
    /// returns.
    const MIME_TYPE: Option<&'static str> = None;
    /// The size in bytes, when known before reading (sent from 2025-03-26 on).
    const SIZE: Option<u64> = None;
    /// Hints for clients (`audience`, `priority`, `lastModified`) sent with the resource.
    const ANNOTATIONS: Annotations = Annotations::NONE;
    /// Icons clients may show (sent from 2025-11-25 on).
    const ICONS: &'static [Icon] = &[];
    /// Scopes a token must grant to read it, beyond `REQUIRED_SCOPES`: without them the
    /// read gets `403` with an `insufficient_scope` challenge, as a tool call does.
    const SCOPES: &'static [&'static str] = &[];
    /// The read may ask the client for input (`ctx.input`, 2026-07-28).
    const ASKS_FOR_INPUT: bool = false;
    /// How long clients may keep what `read` returns (2026-07-28 `ttlMs`, `cacheScope`).
    const CACHE: CacheHint = CacheHint::NONE;

    /// What `read` returns: a `String` or `&'static str` (text with the resource's URI
    /// and MIME type), [`Blob`] (bytes), or [`ResourceContents`] (one or several).
    type Output: IntoContents;

    /// `_meta` of the resource's definition, also set on each of its contents that has
    /// none of its own (MCP Apps put `ui` here).
    fn meta() -> Option<Value> {
        None
    }

    /// Reads the resource. An `Err` answers the `resources/read` with a JSON-RPC error (see
    /// [`ResourceError`]).
    async fn read(&self, ctx: &Context) -> Result<Self::Output, ResourceError>;
}

/// A family of resources whose URIs match an RFC 6570 template (see [`UriTemplate`] for the
/// operators supported). Register `&Yours` beside the resources.
#[allow(async_fn_in_trait)]
pub trait ResourceTemplate: Sync + 'static {
    /// `notes://{id}`, `file:///{+path}`.
    const URI_TEMPLATE: &'static str;
    /// A short name clients show.
    const NAME: &'static str;
    /// A human-readable name (sent from 2025-06-18 on).
    const TITLE: Option<&'static str> = None;
    /// What its resources hold, for the model and the user; `""` sends none.
    const DESCRIPTION: &'static str;
    /// The MIME type of every resource the template serves, when they share one.
    const MIME_TYPE: Option<&'static str> = None;
    /// Hints for clients (`audience`, `priority`, `lastModified`) sent with the template.
    const ANNOTATIONS: Annotations = Annotations::NONE;
    /// Icons clients may show (sent from 2025-11-25 on).
    const ICONS: &'static [Icon] = &[];
    /// Scopes a token must grant to read any of its resources, beyond `REQUIRED_SCOPES`, as
    /// for [`Resource::SCOPES`].
    const SCOPES: &'static [&'static str] = &[];
    /// The read may ask the client for input (`ctx.input`, 2026-07-28).
    const ASKS_FOR_INPUT: bool = false;
    /// How long clients may keep what `read` returns (2026-07-28 `ttlMs`, `cacheScope`).
    const CACHE: CacheHint = CacheHint::NONE;

    /// The template's variables, deserialized from the URI after they pass the schema's
    /// checks. Variables arrive as strings; where the schema says `integer`, `number` or
    /// `boolean`, the string is read as one first. Its properties are the template's
    /// variables, each once.
    type Vars: DeserializeOwned + Schema;
    /// What `read` returns, as for [`Resource::Output`]; text and a [`Blob`] get the URI
    /// read and the template's MIME type.
    type Output: IntoContents;

    /// `_meta` of the template's definition, also set on each of its contents that has none
    /// of its own.
    fn meta() -> Option<Value> {
        None
    }

    /// How a variable is completed (`completion/complete` with `ref/resource`).
    fn completer(_variable: &str) -> Completer {
        Completer::None
    }

    /// Reads the resource at `uri`. Return `ResourceError::not_found` when the variables
    /// name nothing.
    async fn read(
        &self,
        uri: &str,
        vars: Self::Vars,
        ctx: &Context,
    ) -> Result<Self::Output, ResourceError>;
}

/// Binary contents: the bytes of a resource, sent base64-encoded as `blob`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

/// What a `read` may return. `uri` and `mime_type` are the resource's, for outputs that
/// do not carry their own.
pub trait IntoContents {
    /// The contents to send; `uri` and `mime_type` are the resource's, for an output that
    /// carries none of its own.
    fn into_contents(self, uri: &str, mime_type: Option<&str>) -> Vec<ResourceContents>;
}

impl IntoContents for String {
    fn into_contents(self, uri: &str, mime_type: Option<&str>) -> Vec<ResourceContents> {
        vec![ResourceContents::text(uri, mime_type, self)]
    }
}

impl IntoContents for &'static str {
    fn into_contents(self, uri: &str, mime_type: Option<&str>) -> Vec<ResourceContents> {
        vec![ResourceContents::text(uri, mime_type, self)]
    }
}

impl IntoContents for Blob {
    fn into_contents(self, uri: &str, mime_type: Option<&str>) -> Vec<ResourceContents> {
        vec![ResourceContents::blob(uri, mime_type, &self.0)]
    }
}

impl IntoContents for ResourceContents {
    fn into_contents(self, _: &str, _: Option<&str>) -> Vec<ResourceContents> {
        vec![self]
    }
}

impl IntoContents for Vec<ResourceContents> {
    fn into_contents(self, _: &str, _: Option<&str>) -> Vec<ResourceContents> {
        self
    }
}

/// What a listing says about a resource or template, read from its constants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Info {
    /// The `name` clients show.
    pub name: &'static str,
    /// The human-readable `title`, if any.
    pub title: Option<&'static str>,
    /// The `description`; `""` sends none.
    pub description: &'static str,
    /// The `mimeType`, if declared.
    pub mime_type: Option<&'static str>,
    /// The `size` in bytes, when known; always `None` for a template.
    pub size: Option<u64>,
    /// The `annotations` sent with the definition.
    pub annotations: Annotations,
    /// The `icons` clients may show.
    pub icons: &'static [Icon],
    /// Scopes a token must grant to read it.
    pub scopes: &'static [&'static str],
    /// Its read may ask the client for input.
    pub asks_for_input: bool,
    /// How long clients may keep what a read returns.
    pub cache: CacheHint,
}

/// What a read produced, or why it failed.
pub type ReadOutcome = Result<Vec<ResourceContents>, ResourceError>;

/// A [`Resource`] behind a pointer, as the registry holds it.
pub trait DynResource: sealed::Resource + Sync {
    /// The resource's URI (`Resource::URI`).
    fn uri(&self) -> &'static str;
    /// What a listing says about it.
    fn info(&self) -> Info;
    /// `_meta` of its definition (`Resource::meta`).
    fn meta(&self) -> Option<Value>;
    /// Runs the read; the future owns what it needs.
    fn read(&'static self, ctx: Context) -> BoxFuture<'static, ReadOutcome>;
}

/// A [`ResourceTemplate`] behind a pointer, as the registry holds it.
pub trait DynTemplate: sealed::Template + Sync {
    /// The RFC 6570 template (`ResourceTemplate::URI_TEMPLATE`).
    fn uri_template(&self) -> &'static str;
    /// What a listing says about it.
    fn info(&self) -> Info;
    /// `_meta` of its definition (`ResourceTemplate::meta`).
    fn meta(&self) -> Option<Value>;
    /// The JSON Schema of its variables, declared beside its `Vars`.
    fn vars_schema(&self) -> Value;
    /// How `variable` is completed (`ResourceTemplate::completer`).
    fn completer(&self, variable: &str) -> Completer;
    /// Checks and deserializes `vars` (from the URI), then runs the read.
    fn read(
        &'static self,
        uri: String,
        vars: Vec<(String, String)>,
        ctx: Context,
    ) -> BoxFuture<'static, ReadOutcome>;
}

/// Sets the resource's `_meta` on contents that carry none of their own.
fn with_meta(mut contents: Vec<ResourceContents>, meta: Option<Value>) -> Vec<ResourceContents> {
    if let Some(meta) = meta {
        for c in contents.iter_mut().filter(|c| c.meta.is_none()) {
            c.meta = Some(meta.clone());
        }
    }
    contents
}

impl<T: Resource> sealed::Resource for T {}

impl<T: Resource> DynResource for T {
    fn uri(&self) -> &'static str {
        T::URI
    }
    fn info(&self) -> Info {
        Info {
            name: T::NAME,
            title: T::TITLE,
            description: T::DESCRIPTION,
            mime_type: T::MIME_TYPE,
            size: T::SIZE,
            annotations: T::ANNOTATIONS,
            icons: T::ICONS,
            scopes: T::SCOPES,
            asks_for_input: T::ASKS_FOR_INPUT,
            cache: T::CACHE,
        }
    }
    fn meta(&self) -> Option<Value> {
        T::meta()
    }
    fn read(&'static self, ctx: Context) -> BoxFuture<'static, ReadOutcome> {
        Box::pin(async move {
            let out = Resource::read(self, &ctx).await?;
            Ok(with_meta(
                out.into_contents(T::URI, T::MIME_TYPE),
                T::meta(),
            ))
        })
    }
}

impl<T: ResourceTemplate> sealed::Template for T {}

impl<T: ResourceTemplate> DynTemplate for T {
    fn uri_template(&self) -> &'static str {
        T::URI_TEMPLATE
    }
    fn info(&self) -> Info {
        Info {
            name: T::NAME,
            title: T::TITLE,
            description: T::DESCRIPTION,
            mime_type: T::MIME_TYPE,
            size: None,
            annotations: T::ANNOTATIONS,
            icons: T::ICONS,
            scopes: T::SCOPES,
            asks_for_input: T::ASKS_FOR_INPUT,
            cache: T::CACHE,
        }
    }
    fn meta(&self) -> Option<Value> {
        T::meta()
    }
    fn vars_schema(&self) -> Value {
        T::Vars::schema()
    }
    fn completer(&self, variable: &str) -> Completer {
        T::completer(variable)
    }
    fn read(
        &'static self,
        uri: String,
        vars: Vec<(String, String)>,
        ctx: Context,
    ) -> BoxFuture<'static, ReadOutcome> {
        Box::pin(async move {
            let schema = T::Vars::schema();
            let vars: T::Vars = parse_vars(vars, &schema)?;
            let out = ResourceTemplate::read(self, &uri, vars, &ctx).await?;
            Ok(with_meta(out.into_contents(&uri, T::MIME_TYPE), T::meta()))
        })
    }
}

/// The URI's variables as `T`: each string read as the type its schema property names
/// (`"7"` as 7 for an integer), then checked and deserialized as tool arguments are, with
/// the same messages.
pub fn parse_vars<T: DeserializeOwned>(
    vars: Vec<(String, String)>,
    schema: &Value,
) -> Result<T, ResourceError> {
    let mut map = Map::new();
    for (name, raw) in vars {
        let ty = schema["properties"][&name]["type"].as_str();
        let value = match ty {
            Some("integer" | "number") => raw
                .parse::<serde_json::Number>()
                .map(Value::Number)
                .unwrap_or(Value::String(raw)),
            Some("boolean") => match raw.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(raw),
            },
            _ => Value::String(raw),
        };
        map.insert(name, value);
    }
    args::parse_for(args::Noun::Template, map, schema).map_err(|e| ResourceError::invalid(e.0))
}

/// The resources and templates of a server, in the order listings return them.
pub struct Registry {
    resources: Entries<dyn DynResource>,
    /// Paged alike: `with_page_size` sets both lists' page size.
    templates: Entries<dyn DynTemplate>,
    /// The server code that serves them: linked by `new`, not by `EMPTY`.
    methods: Option<&'static crate::mcp::primitive_methods::Methods>,
}

/// What a URI names: a resource, or a template with the URI's variables.
pub enum Found {
    /// A resource whose URI is exactly the one asked for.
    Resource(&'static dyn DynResource),
    /// A template the URI matches, with the variables read from the URI, by name.
    Template(&'static dyn DynTemplate, Vec<(String, String)>),
}

impl Found {
    /// What a listing says about what was found.
    pub fn info(&self) -> Info {
        match self {
            Found::Resource(r) => r.info(),
            Found::Template(t, _) => t.info(),
        }
    }
}

impl Entry for dyn DynResource {
    #[inline]
    fn key(&self) -> &'static str {
        self.uri()
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

impl Entry for dyn DynTemplate {
    #[inline]
    fn key(&self) -> &'static str {
        self.uri_template()
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
    /// How many items one page of a listing holds, unless [`Registry::with_page_size`] says
    /// otherwise.
    pub const PAGE_SIZE: usize = 50;

    /// No resources and no templates: the server declares no `resources` capability.
    pub const EMPTY: Registry = Registry {
        resources: Entries::new(&[], Self::PAGE_SIZE),
        templates: Entries::new(&[], Self::PAGE_SIZE),
        methods: None,
    };

    /// The registry of `resources` and `templates`, each in listing order. It links the
    /// code that serves them; without templates, only what fixed resources need.
    pub const fn new(
        resources: &'static [&'static dyn DynResource],
        templates: &'static [&'static dyn DynTemplate],
    ) -> Self {
        Registry {
            resources: Entries::new(resources, Self::PAGE_SIZE),
            templates: Entries::new(templates, Self::PAGE_SIZE),
            // Without templates, none of their matching and completion code is linked.
            methods: Some(if templates.is_empty() {
                &crate::mcp::primitive_methods::RESOURCES_ONLY
            } else {
                &crate::mcp::primitive_methods::METHODS
            }),
        }
    }

    /// The code that serves the registry; `None` for [`Registry::EMPTY`].
    pub(crate) fn methods(&self) -> Option<&'static crate::mcp::primitive_methods::Methods> {
        self.methods
    }

    /// The same registry with pages of `page_size` items ([`Registry::check`] refuses 0).
    pub const fn with_page_size(mut self, page_size: usize) -> Self {
        self.resources = self.resources.with_page_size(page_size);
        self.templates = self.templates.with_page_size(page_size);
        self
    }

    /// Whether it holds no resources and no templates.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.templates.is_empty()
    }

    /// The resources, in listing order.
    pub fn resources(&self) -> &'static [&'static dyn DynResource] {
        self.resources.all()
    }

    /// The templates, in listing order.
    pub fn templates(&self) -> &'static [&'static dyn DynTemplate] {
        self.templates.all()
    }

    /// How many items one page of a listing holds.
    pub fn page_size(&self) -> usize {
        self.resources.page_size()
    }

    /// What `uri` names: a resource with exactly this URI, else the first template it
    /// matches.
    pub fn find(&self, uri: &str) -> Option<Found> {
        if let Some(found) = self.find_resource(uri) {
            return Some(found);
        }
        self.templates.all().iter().find_map(|t| {
            let vars = UriTemplate::parse(t.uri_template()).ok()?.matches(uri)?;
            Some(Found::Template(*t, vars))
        })
    }

    /// The resource with exactly this URI; templates are not consulted.
    pub fn find_resource(&self, uri: &str) -> Option<Found> {
        self.resources.get(uri).map(Found::Resource)
    }

    /// A template by its `uriTemplate` (as `completion/complete` names it).
    pub fn template(&self, uri_template: &str) -> Option<&'static dyn DynTemplate> {
        self.templates.get(uri_template)
    }

    /// Every scope some resource or template requires.
    pub fn scopes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.resources.scopes().chain(self.templates.scopes())
    }

    /// Whether some resource or template may ask the client for input.
    pub fn asks_for_input(&self) -> bool {
        self.resources.asks_for_input() || self.templates.asks_for_input()
    }

    /// Checks what every registry must hold: unique URIs, names, templates that parse,
    /// variables that match the schema's properties, a page size of at least 1. A
    /// resource whose URI a template also matches is allowed: the resource is read. The
    /// worker runs it (through `Server::check`) before serving any request, and refuses
    /// to serve when it fails.
    pub fn check(&self) -> Result<(), String> {
        if self.page_size() == 0 {
            return Err("a resource registry's page size must be at least 1".into());
        }
        let mut uris: Vec<&str> = Vec::new();
        for r in self.resources.all() {
            let uri = r.uri();
            if uris.contains(&uri) {
                return Err(format!("two resources have the URI {uri}"));
            }
            if !uri.contains(':') || uri.starts_with(':') {
                return Err(format!("resource URI {uri:?} has no scheme"));
            }
            uris.push(uri);
            if r.info().name.is_empty() {
                return Err(format!("{uri}: NAME is empty"));
            }
        }
        // The template checks come with the code that serves templates (see
        // `crate::mcp::primitive_methods`): a server without templates links neither.
        match self.methods {
            Some(m) => (m.check_templates)(self, &mut uris),
            None => Ok(()),
        }
    }

    /// [`Registry::check`] for a unit test of each server's registry: panics with the
    /// problem.
    pub fn assert_valid(&self) {
        registry::assert_valid(self.check());
    }
}

/// The templates' part of [`Registry::check`]: each parses, is unique among `uris` (the
/// resources' URIs so far), and its variables are its schema's properties.
pub(crate) fn check_templates(reg: &Registry, uris: &mut Vec<&'static str>) -> Result<(), String> {
    for t in reg.templates() {
        let raw = t.uri_template();
        let parsed = UriTemplate::parse(raw).map_err(|e| format!("URI template {raw:?}: {e}"))?;
        if uris.contains(&raw) {
            return Err(format!("two templates are {raw}"));
        }
        uris.push(raw);
        let schema = t.vars_schema();
        if schema["type"] != "object" {
            return Err(format!("{raw}: Vars' schema must have type object"));
        }
        let props = schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let vars: Vec<&str> = parsed.variables().collect();
        if let Some(v) = vars.iter().find(|v| !props.contains_key(**v)) {
            return Err(format!("{raw}: Vars' schema has no property {v}"));
        }
        if let Some(p) = props.keys().find(|p| !vars.contains(&p.as_str())) {
            return Err(format!("{raw}: the template has no variable {p}"));
        }
    }
    Ok(())
}
