//! Completion of prompt arguments and template variables (`completion/complete`,
//! server/utilities/completion): what the author gives per argument, and the answer.

use serde_json::{Map, Value};

use crate::primitives::Error;
use crate::primitives::{BoxFuture, Context};
use crate::protocol::version::Version;
use crate::protocol::wire::{self, Object, Shape};

/// The most values one answer carries (server/utilities/completion "CompleteResult").
pub const MAX_VALUES: usize = 100;

/// How one argument or variable is completed.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Completer {
    /// No suggestions (the answer is an empty list).
    None,
    /// A fixed list: the values that start with what the user typed (ignoring ASCII
    /// case), in the list's order.
    List(&'static [&'static str]),
    /// Computed: gets what the user typed, the other arguments already filled in, and
    /// the same context a tool gets.
    Dynamic(CompleteFn),
}

/// A completer that computes its values:
///
/// ```ignore
/// fn cities<'a>(req: &'a CompletionRequest, ctx: &'a Context) -> BoxFuture<'a, Result<Completion, Error>> {
///     Box::pin(async move { Ok(Completion::from_values(look_up(&req.value).await?)) })
/// }
/// ```
pub type CompleteFn =
    for<'a> fn(&'a CompletionRequest, &'a Context) -> BoxFuture<'a, Result<Completion, Error>>;

/// What a client asked to complete.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompletionRequest {
    /// The argument's (or variable's) name.
    pub argument: String,
    /// What the user has typed so far.
    pub value: String,
    /// Arguments already filled in (`context.arguments`, from 2025-06-18 on; empty before).
    pub context: Map<String, Value>,
}

impl CompletionRequest {
    /// An argument already filled in, as a string.
    pub fn filled(&self, name: &str) -> Option<&str> {
        self.context.get(name).and_then(Value::as_str)
    }
}

/// The suggestions: at most [`MAX_VALUES`], with how many exist in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    /// The values suggested, at most [`MAX_VALUES`].
    pub values: Vec<String>,
    /// How many values match in all, when known (`total`).
    pub total: Option<usize>,
    /// More values match than are sent (`hasMore`).
    pub has_more: bool,
}

impl Completion {
    /// All the matching values: the first hundred are sent, with `total` and `hasMore`.
    pub fn from_values(mut values: Vec<String>) -> Self {
        let total = values.len();
        values.truncate(MAX_VALUES);
        Completion {
            has_more: total > values.len(),
            total: Some(total),
            values,
        }
    }

    /// The values of `list` that start with `prefix`, ignoring ASCII case.
    pub fn filter(list: &[&str], prefix: &str) -> Self {
        let p = prefix.as_bytes();
        let matching = list
            .iter()
            .filter(|v| v.len() >= p.len() && v.as_bytes()[..p.len()].eq_ignore_ascii_case(p))
            .map(|v| (*v).to_owned())
            .collect();
        Self::from_values(matching)
    }

    /// The `completion` object of a `CompleteResult`.
    pub fn into_json(self) -> Value {
        // The same in every revision.
        let mut result = wire::to_value(&self, Version::V2025_11_25);
        result["completion"].take()
    }
}

/// A `CompleteResult`, written by `protocol::wire::server::complete_result`.
impl Shape for Completion {
    fn members(&self, out: &mut Object<'_>) {
        wire::server::complete_result(out, &self.values, self.total, self.has_more);
    }
}

impl Completer {
    /// Runs the completer for `req`.
    pub async fn complete(
        &self,
        req: &CompletionRequest,
        ctx: &Context,
    ) -> Result<Completion, Error> {
        match self {
            Completer::None => Ok(Completion::default()),
            Completer::List(list) => Ok(Completion::filter(list, &req.value)),
            Completer::Dynamic(f) => {
                let mut out = f(req, ctx).await?;
                // The author's function may return more than a client may be sent.
                if out.values.len() > MAX_VALUES {
                    let all = out.values.len();
                    out.values.truncate(MAX_VALUES);
                    out.has_more = true;
                    out.total = Some(out.total.unwrap_or(all).max(all));
                }
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_filter_by_prefix_and_cap_at_a_hundred() {
        let c = Completion::filter(&["Paris", "park", "Lyon", "pa"], "PA");
        assert_eq!(c.values, vec!["Paris", "park", "pa"]);
        assert_eq!((c.total, c.has_more), (Some(3), false));
        let many: Vec<String> = (0..150).map(|i| format!("v{i}")).collect();
        let c = Completion::from_values(many);
        assert_eq!(
            (c.values.len(), c.total, c.has_more),
            (100, Some(150), true)
        );
        assert_eq!(Completion::filter(&["é"], "\u{e9}x").values.len(), 0);
    }

    fn numbers<'a>(
        req: &'a CompletionRequest,
        _: &'a Context,
    ) -> BoxFuture<'a, Result<Completion, Error>> {
        Box::pin(async move {
            let start: usize = req.filled("from").and_then(|f| f.parse().ok()).unwrap_or(0);
            // More than may be sent, and no total: the server caps and counts them.
            Ok(Completion {
                values: (start..start + 150)
                    .map(|i| format!("{}{i}", req.value))
                    .collect(),
                total: None,
                has_more: false,
            })
        })
    }

    #[test]
    fn computed_values_get_the_context_and_are_capped() {
        let c = crate::testing::complete(
            Completer::Dynamic(numbers),
            "n",
            "x",
            serde_json::json!({"from": "7"}),
        )
        .unwrap();
        assert_eq!(
            (c.values.len(), c.total, c.has_more),
            (100, Some(150), true)
        );
        assert_eq!(c.values[0], "x7");
    }
}
