//! `roll_dice`: the seed's one tool. Fair six-sided dice from the platform's CSPRNG.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use mcp_worker::apps::{Csp, View};
use mcp_worker::tools::{Context, Json, Schema, Tool, ToolError};

/// How many dice one call may roll.
pub const MAX_DICE: u8 = 100;

pub struct RollDice;

/// The dice, drawn: pips per die, the total, and "Roll again" (MCP Apps). Bump the
/// version in the URI whenever the HTML changes: hosts cache views by URI.
pub static VIEW: View = View {
    uri: "ui://dice-mcp/dice-v1.html",
    name: "dice-view",
    title: Some("Dice"),
    description: "Shows the dice roll_dice rolled, with pips, their total and a Roll again button.",
    html: include_str!("dice_view.html"),
    csp: Csp::NONE,
    prefers_border: true,
};

/// The arguments: how many dice. The schema's checks run before deserialization, so a
/// value out of range never reaches [`RollDice::call`]. The schema is written by hand (it
/// costs the upload little: see [`json_text`]); a host test compares it with the one
/// schemars derives from this type, so the two spell `n_dice` and its bounds alike.
/// Unknown arguments are refused by the schema's check, so serde need not refuse them
/// too: only the derived schema is told.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct RollArgs {
    /// How many six-sided dice to roll.
    #[cfg_attr(test, schemars(range(min = 1, max = MAX_DICE)))]
    pub n_dice: u8,
}

impl Schema for RollArgs {
    fn schema() -> Value {
        // "maximum" is MAX_DICE: a host test holds the two together.
        json_text(
            r#"{
                "type": "object",
                "properties": {
                    "n_dice": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 100,
                        "description": "How many six-sided dice to roll, from 1 to 100."
                    }
                },
                "required": ["n_dice"],
                "additionalProperties": false
            }"#,
        )
    }
}

/// The result: `{"result": [4, 1, 6]}`.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Rolls {
    pub result: Vec<u8>,
}

impl Schema for Rolls {
    fn schema() -> Value {
        json_text(
            r#"{
                "type": "object",
                "properties": {
                    "result": {
                        "type": "array",
                        "items": { "type": "integer", "minimum": 1, "maximum": 6 }
                    }
                },
                "required": ["result"]
            }"#,
        )
    }
}

/// The JSON value `text` spells. The schemas and annotations are written as JSON text
/// rather than with `json!`, which expands each key and value into code that builds it:
/// for these three values that code cost 0.65 KiB more of the gzipped upload than
/// their text. They are read once per isolate, when the tool's definition is built;
/// the host tests read every one of them, so a typo fails there, not in the worker.
fn json_text(text: &str) -> Value {
    serde_json::from_str(text).expect("the JSON text in dice.rs is valid")
}

impl Tool for RollDice {
    const NAME: &'static str = "roll_dice";
    const TITLE: Option<&'static str> = Some("Roll dice");
    const DESCRIPTION: &'static str = "Roll `n_dice` 6-sided dice and return the results.";
    const VIEW: Option<&'static View> = Some(&VIEW);
    const INVOKING: Option<&'static str> = Some("Rolling the dice…");
    const INVOKED: Option<&'static str> = Some("Rolled the dice");
    type Args = RollArgs;
    type Output = Json<Rolls>;

    fn annotations() -> Option<Value> {
        Some(json_text(
            r#"{
                "title": "Roll dice",
                "readOnlyHint": true,
                "destructiveHint": false,
                "idempotentHint": false,
                "openWorldHint": false
            }"#,
        ))
    }

    async fn call(&self, args: RollArgs, _ctx: &Context) -> Result<Json<Rolls>, ToolError> {
        let result = roll(usize::from(args.n_dice), pooled_random)
            .map_err(|_| ToolError::new("The random number source failed; try again."))?;
        Ok(Json(Rolls { result }))
    }
}

/// Rolls `n` dice from a byte source. A byte is kept only below 252 (the largest multiple
/// of 6 that fits in a byte) and mapped with `% 6`, so every face has exactly 42 of the
/// 256 byte values behind it: no modulo bias.
pub fn roll<E>(n: usize, mut fill: impl FnMut(&mut [u8]) -> Result<(), E>) -> Result<Vec<u8>, E> {
    const LIMIT: u8 = 252;
    let mut out = Vec::with_capacity(n);
    let mut buf = [0u8; 128];
    while out.len() < n {
        // Ask for a little more than needed: about 1.6% of bytes are rejected.
        let want = (n - out.len() + 4).min(buf.len());
        fill(&mut buf[..want])?;
        out.extend(
            buf[..want]
                .iter()
                .filter(|&&b| b < LIMIT)
                .map(|&b| b % 6 + 1)
                .take(n - out.len()),
        );
    }
    Ok(out)
}

/// The platform's random bytes, fetched [`Pool::SIZE`] at a time: one call to
/// `crypto.getRandomValues` then serves about 36 rolls of three dice. That call cost
/// 3,200 instructions per roll in workerd. Each byte is handed out once and
/// zeroed; the pool lives in the isolate's memory only.
fn pooled_random(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    thread_local! {
        static POOL: std::cell::RefCell<Pool> = const { std::cell::RefCell::new(Pool::EMPTY) };
    }
    POOL.with_borrow_mut(|pool| pool.take(buf, getrandom::getrandom))
}

/// Random bytes drawn ahead from a source, each handed out once.
struct Pool {
    bytes: [u8; Pool::SIZE],
    /// How many bytes at the end of `bytes` are still unused.
    left: usize,
}

impl Pool {
    const SIZE: usize = 256;
    const EMPTY: Pool = Pool {
        bytes: [0; Pool::SIZE],
        left: 0,
    };

    /// Fills `buf` from the pool, refilling it from `fill` when it holds too few; a
    /// request larger than the pool goes to `fill` directly.
    fn take<E>(
        &mut self,
        buf: &mut [u8],
        mut fill: impl FnMut(&mut [u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if buf.len() > Pool::SIZE {
            return fill(buf);
        }
        if self.left < buf.len() {
            // Nothing of a refill that fails is handed out, whatever it wrote.
            self.left = 0;
            fill(&mut self.bytes)?;
            self.left = Pool::SIZE;
        }
        let start = Pool::SIZE - self.left;
        let unused = &mut self.bytes[start..start + buf.len()];
        buf.copy_from_slice(unused);
        unused.fill(0);
        self.left -= buf.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::convert::Infallible;

    /// Every byte the source gave goes out once, in order; a refill happens only when
    /// the pool runs short; a failed refill hands out nothing; a large request bypasses it.
    #[test]
    fn the_pool_hands_out_each_byte_once() {
        let mut pool = Pool::EMPTY;
        let mut source = counting_source();
        let mut fills = 0;
        let mut counted = |buf: &mut [u8]| {
            fills += 1;
            source(buf)
        };
        let mut seen = Vec::new();
        for len in [7, 7, 100, 142, 1, 7, 256, 0] {
            let mut buf = vec![0xAA; len];
            pool.take(&mut buf, &mut counted).unwrap();
            seen.extend(buf);
        }
        // 7+7+100+142 = 256 use the first fill whole; 1 and 7 come from the second; 256
        // do not fit the 248 left, so a third fill serves them (the 248 are dropped).
        let source_bytes = |from: usize, to: usize| (from..to).map(|i| i as u8);
        let expected: Vec<u8> = source_bytes(0, 256)
            .chain(source_bytes(256, 264))
            .chain(source_bytes(512, 768))
            .collect();
        assert_eq!(seen, expected);
        assert_eq!(fills, 3);
        assert_eq!(pool.left, 0, "the third fill was used whole");
        assert!(
            pool.bytes.iter().all(|&b| b == 0),
            "handed-out bytes are zeroed"
        );

        let mut big = vec![0; 300];
        let mut direct = 0;
        pool.take(&mut big, |b: &mut [u8]| -> Result<(), Infallible> {
            direct += b.len();
            Ok(())
        })
        .unwrap();
        assert_eq!(direct, 300);

        let mut failing = Pool::EMPTY;
        let mut buf = [0xAA; 4];
        assert!(failing.take(&mut buf, |_: &mut [u8]| Err(())).is_err());
        assert_eq!((buf, failing.left), ([0xAA; 4], 0));
    }

    /// A source that walks through every byte value in turn.
    fn counting_source() -> impl FnMut(&mut [u8]) -> Result<(), Infallible> {
        let mut next = 0u8;
        move |buf| {
            for b in buf.iter_mut() {
                *b = next;
                next = next.wrapping_add(1);
            }
            Ok(())
        }
    }

    #[test]
    fn every_face_gets_exactly_the_same_share_of_byte_values() {
        // Over whole cycles of all 256 byte values, an unbiased mapping yields each face
        // the same number of times. Plain `b % 6` would give faces 1 to 4 one extra each cycle.
        let rolls = roll(42 * 6 * 1000, counting_source()).unwrap();
        let mut counts = [0usize; 7];
        for r in &rolls {
            counts[*r as usize] += 1;
        }
        assert_eq!(counts[0], 0);
        assert!(counts[1..].iter().all(|&c| c == 42 * 1000), "{counts:?}");
    }

    #[test]
    fn rejected_bytes_are_replaced_not_dropped() {
        let mut calls = 0;
        let rolls = roll(10, |buf: &mut [u8]| {
            calls += 1;
            // First fill: nothing but rejectable bytes.
            buf.fill(if calls == 1 { 255 } else { 0 });
            Ok::<_, Infallible>(())
        })
        .unwrap();
        assert_eq!(rolls, vec![1; 10]);
        assert_eq!(calls, 2);
    }

    #[test]
    fn real_rolls_look_uniform() {
        // Chi-square over 600,000 real rolls with 5 degrees of freedom. The bound 45 is
        // exceeded by a fair die with probability about 1e-8; a die with plain byte % 6
        // bias scores about 73 here.
        const N: usize = 600_000;
        let mut counts = [0f64; 6];
        let mut left = N;
        while left > 0 {
            let batch = left.min(100);
            for r in roll(batch, getrandom::getrandom).unwrap() {
                counts[r as usize - 1] += 1.0;
            }
            left -= batch;
        }
        let expected = N as f64 / 6.0;
        let chi2: f64 = counts
            .iter()
            .map(|c| (c - expected).powi(2) / expected)
            .sum();
        assert!(chi2 < 45.0, "chi-square {chi2:.1} for counts {counts:?}");
    }

    fn call(args: serde_json::Value) -> mcp_worker::tools::CallResult {
        mcp_worker::testing::call_tool(&RollDice, args)
    }

    #[test]
    fn a_call_returns_the_structured_result() {
        let out = call(json!({"n_dice": 7}));
        assert!(!out.is_error);
        let dice = out.structured.unwrap()["result"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(dice.len(), 7);
        assert!(dice.iter().all(|d| (1..=6).contains(&d.as_u64().unwrap())));
    }

    #[test]
    fn a_call_refuses_out_of_range_counts() {
        for n in [0, -1, i64::from(MAX_DICE) + 1] {
            let out = call(json!({ "n_dice": n }));
            assert!(out.is_error);
            assert_eq!(
                out.content,
                vec![mcp_worker::tools::Content::text(format!(
                    "'n_dice' must be from 1 to {MAX_DICE}; got {n}."
                ))]
            );
        }
    }

    #[test]
    fn the_schemas_match_the_types() {
        mcp_worker::testing::assert_tool_schemas_match(
            &RollDice,
            mcp_worker::derived_schema!(RollArgs),
            mcp_worker::derived_schema!(output Rolls),
        );
    }

    /// The bound and the argument's name are written in words where a model reads them:
    /// each must say what the schema says.
    #[test]
    fn every_text_states_max_dice_and_names_n_dice() {
        let schema = RollDice::input_schema();
        let n_dice = &schema["properties"]["n_dice"];
        assert_eq!(n_dice["maximum"], MAX_DICE);
        let range = format!("{} to {MAX_DICE}", n_dice["minimum"]);
        let texts = [
            (
                "the n_dice description",
                n_dice["description"].as_str().unwrap(),
            ),
            ("INSTRUCTIONS (src/lib.rs)", crate::INSTRUCTIONS),
        ];
        for (what, text) in texts {
            assert!(text.contains(&range), "{what} must say {range:?}: {text}");
        }
        for (what, text) in [
            ("RollDice::DESCRIPTION", RollDice::DESCRIPTION),
            ("INSTRUCTIONS (src/lib.rs)", crate::INSTRUCTIONS),
        ] {
            assert!(text.contains("n_dice"), "{what} must name n_dice: {text}");
        }
    }

    /// The view (dice_view.html) sends the arguments and reads the result itself: it must
    /// use the schemas' names and bounds.
    #[test]
    fn the_view_uses_the_schemas_names_and_bounds() {
        let html = VIEW.html;
        let output = RollDice::output_schema().unwrap();
        let faces = &output["properties"]["result"]["items"];
        for needle in [
            "params.arguments.n_dice".to_owned(),
            "arguments: { n_dice: nDice }".to_owned(),
            "data.result".to_owned(),
            format!("Math.min(n || 1, {MAX_DICE})"),
            format!("v >= {} && v <= {}", faces["minimum"], faces["maximum"]),
        ] {
            assert!(
                html.contains(&needle),
                "dice_view.html no longer contains `{needle}`: make it agree with the schemas in dice.rs"
            );
        }
    }
}
