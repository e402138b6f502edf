//! MCP Apps: a tool's results drawn by a view of the server's own, in hosts that render them
//! (ChatGPT, Claude, VS Code, Goose). The extension is `io.modelcontextprotocol/ui`
//! (SEP-1865; ext-apps protocol 2026-01-26, types of `@modelcontextprotocol/ext-apps` 2.0.4).
//!
//! A [`View`] is one HTML document compiled into the worker and served as a `ui://`
//! resource with `mimeType` [`MIME_TYPE`]. A tool names it in one line (`const VIEW`), and
//! the core writes what hosts read: `_meta.ui.resourceUri` on the tool's definition and
//! `_meta.ui` (CSP, border) on the resource's contents, with ChatGPT's `openai/*` aliases
//! beside them. Nothing else changes: the tool's result is the same for every client, so
//! one without UI (the Responses API, an SDK) reads the same text and `structuredContent`.

use serde_json::{Map, Value};

/// The extension's identifier, as clients declare it in their capabilities.
pub const EXTENSION: &str = "io.modelcontextprotocol/ui";

/// The MIME type of a view's contents (ext-apps `RESOURCE_MIME_TYPE`).
pub const MIME_TYPE: &str = "text/html;profile=mcp-app";

/// The longest status text ChatGPT takes for `openai/toolInvocation/*`.
pub const MAX_STATUS_CHARS: usize = 64;

/// A view: one whole HTML5 document that a host loads into a sandboxed iframe. It gets the
/// tool's input and result from the host over `postMessage` and may call tools through it.
///
/// Hosts cache a view's HTML by URI (ChatGPT keeps templates as snapshots), so put a version
/// in the URI and change it whenever the HTML changes; data comes only through tool results.
pub struct View {
    /// `ui://<server>/<name>-v<N>.html`.
    pub uri: &'static str,
    /// The resource's name in `resources/list`.
    pub name: &'static str,
    /// A human-readable name for its `resources/list` entry.
    pub title: Option<&'static str>,
    /// What the view shows; also ChatGPT's `openai/widgetDescription`, which its model reads.
    pub description: &'static str,
    /// The document, usually `include_str!("my_view.html")`: script and style inline.
    pub html: &'static str,
    /// Origins the view loads from or connects to. [`Csp::NONE`] for a self-contained view.
    pub csp: Csp,
    /// Whether the host should draw a border and background around the view. Hosts' defaults
    /// differ, so say it.
    pub prefers_border: bool,
}

/// The origins a view needs beyond its own HTML (ext-apps `McpUiResourceCsp`). Hosts build
/// the iframe's Content-Security-Policy from it; empty means none at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Csp {
    /// `connect-src`: fetch, XHR, WebSocket.
    pub connect: &'static [&'static str],
    /// `img-src`, `script-src`, `style-src`, `font-src`, `media-src`.
    pub resources: &'static [&'static str],
    /// `frame-src`: nested iframes.
    pub frames: &'static [&'static str],
}

impl Csp {
    /// Nothing from elsewhere: the view is one self-contained document.
    pub const NONE: Csp = Csp {
        connect: &[],
        resources: &[],
        frames: &[],
    };
}

/// Who may call a tool (ext-apps `McpUiToolMeta.visibility`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Visibility {
    /// The model and views (the default).
    #[default]
    ModelAndApp,
    /// The model only: views may not call it.
    Model,
    /// Views only: hosts with the extension keep it from the model. A client without the
    /// extension knows nothing of this and shows it to the model like any tool.
    App,
}

impl Visibility {
    fn app(self) -> bool {
        self != Visibility::Model
    }
}

/// What a tool says about views, gathered from its `Tool` constants.
#[derive(Clone, Copy, Default)]
pub struct ToolUi {
    /// The view that draws the tool's results (`Tool::VIEW`).
    pub view: Option<&'static View>,
    /// Who may call the tool (`Tool::VISIBILITY`).
    pub visibility: Visibility,
    /// ChatGPT's status text while the tool runs (`Tool::INVOKING`).
    pub invoking: Option<&'static str>,
    /// ChatGPT's status text once the tool is done (`Tool::INVOKED`).
    pub invoked: Option<&'static str>,
}

impl ToolUi {
    /// The tool definition's `_meta`: the standard `ui` object and ChatGPT's aliases, or
    /// `None` for a tool that has no view and the default visibility.
    pub fn meta(&self) -> Option<Value> {
        if self.view.is_none() && self.visibility == Visibility::ModelAndApp {
            return None;
        }
        let mut ui = Map::new();
        let mut meta = Map::new();
        if let Some(view) = self.view {
            ui.insert("resourceUri".into(), view.uri.into());
            meta.insert("openai/outputTemplate".into(), view.uri.into());
        }
        let visibility: &[&str] = match self.visibility {
            Visibility::ModelAndApp => &[],
            Visibility::Model => &["model"],
            Visibility::App => &["app"],
        };
        if !visibility.is_empty() {
            ui.insert("visibility".into(), strings(visibility));
        }
        // ChatGPT lets a view call a tool only when it says so; it hides "private" ones
        // from the model (Apps SDK reference, tool descriptor `_meta`).
        meta.insert(
            "openai/widgetAccessible".into(),
            self.visibility.app().into(),
        );
        if self.visibility == Visibility::App {
            meta.insert("openai/visibility".into(), "private".into());
        }
        for (key, text) in [
            ("openai/toolInvocation/invoking", self.invoking),
            ("openai/toolInvocation/invoked", self.invoked),
        ] {
            if let Some(t) = text {
                meta.insert(key.into(), t.into());
            }
        }
        meta.insert("ui".into(), Value::Object(ui));
        Some(Value::Object(meta))
    }

    /// What is wrong with these constants, for `Registry::assert_valid`.
    pub fn problem(&self) -> Option<String> {
        for text in [self.invoking, self.invoked].into_iter().flatten() {
            if text.chars().count() > MAX_STATUS_CHARS || text.is_empty() {
                return Some(format!(
                    "status text {text:?} must be 1 to {MAX_STATUS_CHARS} characters"
                ));
            }
        }
        self.view.and_then(View::problem)
    }
}

impl View {
    /// The `_meta` of the view's contents in `resources/read` (and of its `resources/list`
    /// entry): the standard `ui` object and ChatGPT's `openai/widget*` keys.
    pub fn meta(&self) -> Value {
        let mut csp = Map::new();
        csp.insert("connectDomains".into(), strings(self.csp.connect));
        csp.insert("resourceDomains".into(), strings(self.csp.resources));
        let mut widget_csp = Map::new();
        widget_csp.insert("connect_domains".into(), strings(self.csp.connect));
        widget_csp.insert("resource_domains".into(), strings(self.csp.resources));
        if !self.csp.frames.is_empty() {
            csp.insert("frameDomains".into(), strings(self.csp.frames));
            widget_csp.insert("frame_domains".into(), strings(self.csp.frames));
        }
        let mut ui = Map::new();
        ui.insert("csp".into(), Value::Object(csp));
        ui.insert("prefersBorder".into(), self.prefers_border.into());
        let mut meta = Map::new();
        meta.insert("ui".into(), Value::Object(ui));
        meta.insert("openai/widgetCSP".into(), Value::Object(widget_csp));
        meta.insert("openai/widgetDescription".into(), self.description.into());
        meta.insert(
            "openai/widgetPrefersBorder".into(),
            self.prefers_border.into(),
        );
        Value::Object(meta)
    }

    /// What is wrong with this view, for the registry's checks.
    pub fn problem(&self) -> Option<String> {
        let uri = self.uri;
        if !uri.starts_with("ui://") || uri.len() <= "ui://".len() {
            return Some(format!("view URI {uri:?} must start with ui://"));
        }
        let start = self.html.trim_start().get(..15).unwrap_or("");
        if !start.eq_ignore_ascii_case("<!doctype html>") {
            return Some(format!(
                "view {uri}: the HTML must be a whole document starting with <!doctype html>"
            ));
        }
        None
    }
}

fn strings(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(*s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static VIEW: View = View {
        uri: "ui://test/view-v1.html",
        name: "view",
        title: None,
        description: "A test view.",
        html: "<!doctype html><p>hi</p>",
        csp: Csp::NONE,
        prefers_border: true,
    };

    #[test]
    fn a_tool_without_a_view_says_nothing() {
        assert_eq!(ToolUi::default().meta(), None);
    }

    #[test]
    fn a_tool_with_a_view_names_it_for_every_host() {
        let ui = ToolUi {
            view: Some(&VIEW),
            invoking: Some("Working…"),
            invoked: Some("Done"),
            ..ToolUi::default()
        };
        assert_eq!(
            ui.meta().unwrap(),
            json!({
                "ui": { "resourceUri": "ui://test/view-v1.html" },
                "openai/outputTemplate": "ui://test/view-v1.html",
                "openai/widgetAccessible": true,
                "openai/toolInvocation/invoking": "Working…",
                "openai/toolInvocation/invoked": "Done",
            })
        );
        assert_eq!(ui.problem(), None);
    }

    #[test]
    fn an_app_only_tool_is_private_to_chatgpt_and_app_to_the_rest() {
        let ui = ToolUi {
            visibility: Visibility::App,
            ..ToolUi::default()
        };
        assert_eq!(
            ui.meta().unwrap(),
            json!({
                "ui": { "visibility": ["app"] },
                "openai/widgetAccessible": true,
                "openai/visibility": "private",
            })
        );
        let model_only = ToolUi {
            view: Some(&VIEW),
            visibility: Visibility::Model,
            ..ToolUi::default()
        };
        let meta = model_only.meta().unwrap();
        assert_eq!(meta["ui"]["visibility"], json!(["model"]));
        assert_eq!(meta["openai/widgetAccessible"], false);
    }

    #[test]
    fn a_view_declares_its_csp_and_border_in_both_dialects() {
        assert_eq!(
            VIEW.meta(),
            json!({
                "ui": { "csp": { "connectDomains": [], "resourceDomains": [] }, "prefersBorder": true },
                "openai/widgetCSP": { "connect_domains": [], "resource_domains": [] },
                "openai/widgetDescription": "A test view.",
                "openai/widgetPrefersBorder": true,
            })
        );
    }

    #[test]
    fn bad_constants_are_named() {
        let long = "x".repeat(65);
        let ui = ToolUi {
            invoking: Some(Box::leak(long.into_boxed_str())),
            ..ToolUi::default()
        };
        assert!(ui.problem().unwrap().contains("64"));
        let bad = View {
            uri: "https://x.example/v.html",
            ..VIEW
        };
        assert!(bad.problem().unwrap().contains("ui://"));
        let fragment = View {
            html: "<p>hi</p>",
            ..VIEW
        };
        assert!(fragment.problem().unwrap().contains("doctype"));
    }
}
