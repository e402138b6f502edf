//! An MCP Apps view ([`crate::apps::View`]) served as a resource: registered like any
//! other (`&my_tool::VIEW` in a [`super::Registry`]), read as one HTML document with the
//! view's `_meta` on its contents and on its `resources/list` entry.

use serde_json::Value;

use super::{Annotations, CacheHint, DynResource, Info, ReadOutcome, ResourceContents};
use crate::apps::{View, MIME_TYPE};
use crate::tools::{BoxFuture, Context};

/// A view's HTML never changes under its URI (the URI carries the version), and it is
/// the same for every caller: clients may keep it a day (2026-07-28 `ttlMs`).
const VIEW_CACHE: CacheHint = CacheHint::public(86_400_000);

impl super::sealed::Resource for View {}

impl DynResource for View {
    fn uri(&self) -> &'static str {
        self.uri
    }
    fn info(&self) -> Info {
        Info {
            name: self.name,
            title: self.title,
            description: self.description,
            mime_type: Some(MIME_TYPE),
            size: Some(self.html.len() as u64),
            annotations: Annotations::NONE,
            icons: &[],
            scopes: &[],
            asks_for_input: false,
            cache: VIEW_CACHE,
        }
    }
    fn meta(&self) -> Option<Value> {
        Some(View::meta(self))
    }
    fn read(&'static self, _ctx: Context) -> BoxFuture<'static, ReadOutcome> {
        Box::pin(async move {
            Ok(vec![ResourceContents::text(
                self.uri,
                Some(MIME_TYPE),
                self.html,
            )
            .with_meta(View::meta(self))])
        })
    }
}
