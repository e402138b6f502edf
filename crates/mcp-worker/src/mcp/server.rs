//! A server: its name, what it tells the model, and its registries.

use crate::protocol::uri;
use crate::protocol::wire::ServerInfo;
use crate::tools::Registry;

use super::{primitive_methods, tasks};

/// A server: what it says about itself and what it offers. Built in a `static` with
/// [`Server::new`] and its `const` builder methods, so that a field added later breaks
/// no server:
///
/// ```
/// use mcp_worker::mcp::Server;
/// use mcp_worker::tools::Registry;
///
/// static TOOLS: Registry = Registry::new(&[]);
/// static SERVER: Server = Server::new("my-server", "1.0.0")
///     .title("My server")
///     .instructions("What the model should know about using it.")
///     .tools(&TOOLS);
/// ```
pub struct Server {
    pub(crate) name: &'static str,
    pub(crate) title: &'static str,
    pub(crate) version: &'static str,
    pub(crate) instructions: &'static str,
    pub(crate) tools: &'static Registry,
    pub(crate) resources: &'static crate::resources::Registry,
    pub(crate) prompts: &'static crate::prompts::Registry,
    pub(crate) skills: &'static crate::skills::Skills,
    pub(crate) logging: bool,
    pub(crate) tasks: Option<(
        &'static dyn crate::tasks::TaskStore,
        &'static tasks::Methods,
    )>,
    pub(crate) audience: Option<&'static str>,
    pub(crate) endpoint: &'static str,
    #[cfg(feature = "oauth")]
    pub(crate) authorization: Option<&'static AuthorizationServer>,
}

static NO_TOOLS: Registry = Registry::new(&[]);
static NO_RESOURCES: crate::resources::Registry = crate::resources::Registry::EMPTY;
static NO_PROMPTS: crate::prompts::Registry = crate::prompts::Registry::EMPTY;

impl Server {
    /// A server named `name` (its `serverInfo.name`, and the name its log lines and
    /// sealed states carry) at `version`, offering nothing yet.
    pub const fn new(name: &'static str, version: &'static str) -> Server {
        Server {
            name,
            title: name,
            version,
            instructions: "",
            tools: &NO_TOOLS,
            resources: &NO_RESOURCES,
            prompts: &NO_PROMPTS,
            skills: &crate::skills::NONE,
            logging: false,
            tasks: None,
            audience: None,
            endpoint: "/mcp",
            #[cfg(feature = "oauth")]
            authorization: None,
        }
    }

    /// A human-readable name (sent from 2025-06-18 on, and the RFC 9728 metadata's
    /// `resource_name`); the name by default.
    pub const fn title(mut self, title: &'static str) -> Server {
        self.title = title;
        self
    }

    /// What the model is told about using the server.
    pub const fn instructions(mut self, instructions: &'static str) -> Server {
        self.instructions = instructions;
        self
    }

    /// The tools.
    pub const fn tools(mut self, tools: &'static Registry) -> Server {
        self.tools = tools;
        self
    }

    /// Resources and resource templates (app views among them).
    pub const fn resources(mut self, resources: &'static crate::resources::Registry) -> Server {
        self.resources = resources;
        self
    }

    /// Prompts.
    pub const fn prompts(mut self, prompts: &'static crate::prompts::Registry) -> Server {
        self.prompts = prompts;
        self
    }

    /// Agent Skills (the SEP-2640 extension), served as `skill://` resources.
    pub const fn skills(mut self, skills: &'static crate::skills::Skills) -> Server {
        self.skills = skills;
        self
    }

    /// Declares the `logging` capability and sends tools' log messages to clients that
    /// ask for them (`logging/setLevel`, `_meta` `logLevel`). Off by default.
    pub const fn logging(mut self, logging: bool) -> Server {
        self.logging = logging;
        self
    }

    /// Where tool calls that outlive the request are kept (`io.modelcontextprotocol/tasks`;
    /// docs/tasks.md). Without one no tool runs as a task.
    pub const fn tasks(mut self, store: &'static dyn crate::tasks::TaskStore) -> Server {
        self.tasks = Some((store, &tasks::METHODS));
        self
    }

    /// The audience a token must name (`aud`) when the operator sets neither
    /// `JWT_AUDIENCE` nor an authorization server; the server's name by default. With an
    /// authorization server, tokens name this server's URL instead (RFC 8707).
    pub const fn audience(mut self, audience: &'static str) -> Server {
        self.audience = Some(audience);
        self
    }

    /// The path the MCP endpoint is served at, `/mcp` by default: requests to it and to
    /// the same path with a `/` after it are MCP, and its protected resource metadata is
    /// at `/.well-known/oauth-protected-resource` followed by either. It starts with `/`,
    /// does not end with one, and is written as a request's path is (no empty, `.` or `..`
    /// segment, ASCII URL characters); anything else panics, so a `static` server with
    /// such a path does not compile.
    pub const fn endpoint(mut self, path: &'static str) -> Server {
        assert!(
            is_endpoint_path(path),
            "Server::endpoint: not a path requests reach; use /segment/… of ASCII URL characters, with no empty, . or .. segment, not ending in / nor under /.well-known/ (such as \"/mcp\")"
        );
        self.endpoint = path;
        self
    }

    /// Serves an OAuth 2.1 authorization server beside the MCP endpoint, which people
    /// sign into through an OpenID provider, once the worker's `OAUTH_*` variables are set
    /// (docs/authorization-server.md). Needs the library's `oauth` feature.
    #[cfg(feature = "oauth")]
    pub const fn authorization_server(mut self, declared: &'static AuthorizationServer) -> Server {
        self.authorization = Some(declared);
        self
    }

    /// The path of the MCP endpoint ([`Server::endpoint`]).
    pub fn endpoint_path(&self) -> &'static str {
        self.endpoint
    }

    /// Whether `path` is the MCP endpoint: the endpoint's path, or it with a `/` after.
    pub(crate) fn serves(&self, path: &str) -> bool {
        path.strip_suffix('/').unwrap_or(path) == self.endpoint
    }

    /// The audience tokens must name by default: [`Server::audience`], else the name.
    pub fn token_audience(&self) -> &'static str {
        self.audience.unwrap_or(self.name)
    }

    /// The server's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The tools it offers.
    pub fn tool_registry(&self) -> &'static Registry {
        self.tools
    }

    /// The resources and templates it offers.
    pub fn resource_registry(&self) -> &'static crate::resources::Registry {
        self.resources
    }

    /// The prompts it offers.
    pub fn prompt_registry(&self) -> &'static crate::prompts::Registry {
        self.prompts
    }
}

impl Server {
    /// The server's name as answers carry it (`serverInfo`).
    pub(crate) fn info(&self) -> ServerInfo<'static> {
        ServerInfo {
            name: self.name,
            title: self.title,
            version: self.version,
        }
    }

    /// Every scope a tool, resource, template or prompt requires, each once, in that
    /// order: what `scopes_supported` lists.
    pub fn scopes(&self) -> Vec<&'static str> {
        let mut all = self.tools.scopes();
        for s in self.resources.scopes().chain(self.prompts.scopes()) {
            if !all.contains(&s) {
                all.push(s);
            }
        }
        all
    }

    /// Some tool, resource or prompt may ask the client for input: the server then needs
    /// the `INPUT_STATE_KEY` secret.
    pub fn asks_for_input(&self) -> bool {
        self.tools.asks_for_input()
            || self.resources.asks_for_input()
            || self.prompts.asks_for_input()
    }

    /// The code that serves resources, prompts and completion, when the server registers
    /// any of them (see `primitive_methods::Methods`). A prompts registry always links all
    /// of it; a resources registry without templates links only what fixed resources need.
    pub(crate) fn primitives(&self) -> Option<&'static primitive_methods::Methods> {
        // The fullest dispatch any registry carries: prompts and skills link all of it.
        self.prompts
            .methods()
            .or(self.skills.primitives())
            .or(self.resources.methods())
    }

    /// The server answers `completion/complete`: it has a prompt or a template.
    pub(crate) fn completes(&self) -> bool {
        !self.prompts.is_empty() || !self.resources.templates().is_empty()
    }

    /// Checks each registry (tools, resources, prompts, skills), and that every view a
    /// tool names is served among the resources, as hosts will ask for it. The worker
    /// runs it before serving any request, and refuses to serve when it fails.
    pub fn check(&self) -> Result<(), String> {
        self.tools.check()?;
        self.resources.check()?;
        self.prompts.check()?;
        self.skills.check()?;
        for tool in self.tools.all() {
            let Some(view) = tool.ui().view else { continue };
            let served =
                self.resources.resources().iter().any(|r| {
                    r.uri() == view.uri && r.info().mime_type == Some(crate::apps::MIME_TYPE)
                });
            if !served {
                return Err(format!(
                    "{}: its view {} is not among the server's resources; register it: resources::Registry::new(&[&VIEW, …], …)",
                    tool.name(),
                    view.uri
                ));
            }
        }
        Ok(())
    }

    /// [`Server::check`] for a unit test of each server: panics with the problem.
    pub fn assert_valid(&self) {
        if let Err(problem) = self.check() {
            panic!("{problem}");
        }
    }
}

/// A path the runtime hands over as it was written: RFC 3986 `path-absolute` segments of
/// `pchar`, none empty or a dot segment (the URL parser would rewrite those, and no request
/// would ever match), outside `/.well-known/`, where the metadata is served. A `const fn`,
/// so that a `static` server with a bad path fails to compile rather than to start.
const fn is_endpoint_path(path: &str) -> bool {
    let b = path.as_bytes();
    if b.len() < 2
        || b[0] != b'/'
        || starts_with(b, b"/.well-known/")
        || eq(b, b"/.well-known")
        || !uri::escapes_are_whole(b)
    {
        return false;
    }
    // Each segment: where it starts, and the byte after it.
    let mut start = 1;
    let mut i = 1;
    while i <= b.len() {
        if i == b.len() || b[i] == b'/' {
            let len = i - start;
            let dots =
                len <= 2 && (len == 0 || b[start] == b'.') && (len < 2 || b[start + 1] == b'.');
            if dots {
                return false;
            }
            start = i + 1;
        } else if !uri::is_uri_char(b[i]) || matches!(b[i], b'?' | b'#' | b'[' | b']') {
            // pchar (§3.3): a URI character but for the delimiters of a path's end.
            return false;
        }
        i += 1;
    }
    true
}

const fn starts_with(s: &[u8], prefix: &[u8]) -> bool {
    if s.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if s[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && starts_with(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{self, Resource, ResourceError, ResourceTemplate};
    use crate::tools::{Context, Schema};
    use serde::Deserialize;
    use serde_json::Value;

    struct Doc;
    impl Resource for Doc {
        const URI: &'static str = "docs://readme";
        const NAME: &'static str = "readme";
        const DESCRIPTION: &'static str = "";
        type Output = &'static str;
        async fn read(&self, _: &Context) -> Result<&'static str, ResourceError> {
            Ok("hi")
        }
    }

    #[derive(Deserialize)]
    struct Q {
        #[allow(dead_code)]
        q: String,
    }
    impl Schema for Q {
        fn schema() -> Value {
            serde_json::json!({"type": "object", "properties": {"q": {"type": "string"}}})
        }
    }
    /// `{?q}` is an operator the matcher does not support.
    struct Search;
    impl ResourceTemplate for Search {
        const URI_TEMPLATE: &'static str = "docs://search{?q}";
        const NAME: &'static str = "search";
        const DESCRIPTION: &'static str = "";
        type Vars = Q;
        type Output = &'static str;
        async fn read(&self, _: &str, _: Q, _: &Context) -> Result<&'static str, ResourceError> {
            Ok("found")
        }
    }

    const fn server(
        resources: &'static resources::Registry,
        prompts: &'static crate::prompts::Registry,
        tools: &'static Registry,
    ) -> Server {
        Server::new("t", "0")
            .tools(tools)
            .resources(resources)
            .prompts(prompts)
    }
    static NO_TOOLS: Registry = Registry::new(&[]);

    #[test]
    fn an_endpoint_is_a_path_requests_reach() {
        for good in ["/mcp", "/api/mcp", "/v1/mcp-server", "/a%20b", "/x:y@z"] {
            assert!(is_endpoint_path(good), "{good}");
        }
        for bad in [
            "",
            "/",
            "mcp",
            "/mcp/",
            "//mcp",
            "/a//b",
            "/./mcp",
            "/a/../mcp",
            "/mcp/.",
            "/mcp?x",
            "/mcp#x",
            "/m cp",
            "/m\"cp",
            "/mé",
            "/a%2",
            "/a%zz",
            "/m\ncp",
            "/.well-known",
            "/.well-known/mcp",
        ] {
            assert!(!is_endpoint_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn tokens_name_the_servers_audience_or_else_its_name() {
        static NAMED: Server = Server::new("my-server", "1");
        static SET: Server = Server::new("my-server", "1").audience("api://mine");
        assert_eq!(NAMED.token_audience(), "my-server");
        assert_eq!(SET.token_audience(), "api://mine");
        assert_eq!(SET.name(), "my-server");
    }

    /// A tool that names a view no registry here serves.
    struct Drawn;
    static DRAWING: crate::apps::View = crate::apps::View {
        uri: "ui://t/drawing.html",
        name: "drawing",
        title: None,
        description: "draws",
        html: "<!doctype html><p>drawn</p>",
        csp: crate::apps::Csp::NONE,
        prefers_border: false,
    };
    impl crate::tools::Tool for Drawn {
        const NAME: &'static str = "drawn";
        const DESCRIPTION: &'static str = "has a view";
        const VIEW: Option<&'static crate::apps::View> = Some(&DRAWING);
        type Args = crate::tools::NoArgs;
        type Output = String;
        async fn call(
            &self,
            _: crate::tools::NoArgs,
            _: &crate::tools::Context,
        ) -> Result<String, crate::tools::ToolError> {
            Ok(String::new())
        }
    }
    static VIEWLESS: Registry = Registry::new(&[&Drawn]);
    static EMPTY_PROMPTS: crate::prompts::Registry = crate::prompts::Registry::EMPTY;

    /// What the worker checks before serving: every registry and the views, not only the
    /// tools and skills.
    #[test]
    fn the_start_up_check_covers_resources_prompts_and_views() {
        static BAD_TEMPLATE: resources::Registry = resources::Registry::new(&[&Doc], &[&Search]);
        static TWICE: resources::Registry = resources::Registry::new(&[&Doc, &Doc], &[]);
        static PAGE_0: resources::Registry =
            resources::Registry::new(&[&Doc], &[]).with_page_size(0);
        static NO_VIEW: resources::Registry = resources::Registry::new(&[&Doc], &[]);
        static PROMPTS_0: crate::prompts::Registry =
            crate::prompts::Registry::EMPTY.with_page_size(0);
        static OK: resources::Registry = resources::Registry::new(&[&Doc], &[]);
        for (server, says) in [
            (
                server(&BAD_TEMPLATE, &EMPTY_PROMPTS, &NO_TOOLS),
                "not supported",
            ),
            (server(&TWICE, &EMPTY_PROMPTS, &NO_TOOLS), "two resources"),
            (server(&PAGE_0, &EMPTY_PROMPTS, &NO_TOOLS), "page size"),
            (server(&OK, &PROMPTS_0, &NO_TOOLS), "page size"),
            (server(&NO_VIEW, &EMPTY_PROMPTS, &VIEWLESS), "its view"),
        ] {
            // Each registry alone passes its own check: only the server-wide one sees these.
            assert_eq!(server.tools.check(), Ok(()));
            assert!(server.skills.check().is_ok());
            let err = server.check().unwrap_err();
            assert!(err.contains(says), "{err}");
            let check = std::panic::AssertUnwindSafe(|| server.assert_valid());
            let panic = std::panic::catch_unwind(check).unwrap_err();
            assert_eq!(panic.downcast_ref::<String>(), Some(&err));
        }
        assert_eq!(server(&OK, &EMPTY_PROMPTS, &NO_TOOLS).check(), Ok(()));
    }
}

/// An authorization server in the worker, declared once by the app and given to
/// `mcp::Server::authorization_server`:
///
/// ```
/// use mcp_worker::oauth::AuthorizationServer;
/// static AUTHORIZATION: AuthorizationServer = AuthorizationServer::new("OAUTH_GRANTS")
///     .trust_redirect_hosts(&["chatgpt.com", "claude.ai"]);
/// ```
///
/// It serves only when the worker's `OAUTH_*` variables are set (docs/authorization-server.md);
/// without them the server is a resource server as before.
#[cfg(feature = "oauth")]
#[derive(Debug)]
pub struct AuthorizationServer {
    pub(crate) grants: &'static str,
    pub(crate) trusted_hosts: &'static [&'static str],
}

#[cfg(feature = "oauth")]
impl AuthorizationServer {
    /// Grants are kept in the Durable Object namespace bound as `grants_binding`, whose
    /// class the app declares with `mcp_worker::grant_object!`.
    pub const fn new(grants_binding: &'static str) -> AuthorizationServer {
        AuthorizationServer {
            grants: grants_binding,
            trusted_hosts: &[],
        }
    }

    /// Hosts whose redirect URIs are followed at once with an error before consent (a
    /// bad scope, say). For other clients, whoever registered them, such an error is
    /// shown on this server's page with a link back, so the server is never an open
    /// redirector (RFC 9700 §4.11.2). Loopback redirects are always followed.
    pub const fn trust_redirect_hosts(
        mut self,
        hosts: &'static [&'static str],
    ) -> AuthorizationServer {
        self.trusted_hosts = hosts;
        self
    }

    /// The Durable Object namespace binding that keeps grants.
    pub fn grants_binding(&self) -> &'static str {
        self.grants
    }
}
