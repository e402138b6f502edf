use mcp_worker::resources::{Completer, Context, ResourceError, ResourceTemplate, Schema};
use serde::Deserialize;
use serde_json::{json, Value};

/// The rules of a dice game, one resource per game: `rules://dice/yahtzee`.
pub struct DiceRules;

const GAMES: &[(&str, &str)] = &[
    (
        "craps",
        "Roll two dice. 7 or 11 on the first roll wins; 2, 3 or 12 loses.",
    ),
    (
        "farkle",
        "Roll six dice; score ones, fives and sets, and stop before you farkle.",
    ),
    (
        "yahtzee",
        "Roll five dice up to three times a turn; five of a kind is a Yahtzee.",
    ),
];

const NAMES: &[&str] = &["craps", "farkle", "yahtzee"];

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Game {
    pub game: String,
}

impl Schema for Game {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "game": { "type": "string", "maxLength": 32 } },
            "required": ["game"],
            "additionalProperties": false
        })
    }
}

impl ResourceTemplate for DiceRules {
    const URI_TEMPLATE: &'static str = "rules://dice/{game}";
    const NAME: &'static str = "dice-rules";
    const DESCRIPTION: &'static str = "The rules of a dice game.";
    const MIME_TYPE: Option<&'static str> = Some("text/plain");
    type Vars = Game;
    type Output = &'static str;

    // completion/complete suggests the games that start with what the user typed.
    fn completer(variable: &str) -> Completer {
        match variable {
            "game" => Completer::List(NAMES),
            _ => Completer::None,
        }
    }

    async fn read(
        &self,
        _uri: &str,
        vars: Game,
        _: &Context,
    ) -> Result<&'static str, ResourceError> {
        GAMES
            .iter()
            .find(|(name, _)| *name == vars.game)
            .map(|(_, rules)| *rules)
            .ok_or_else(|| {
                ResourceError::not_found(format!(
                    "no rules for '{}'; the games are {}",
                    vars.game,
                    NAMES.join(", ")
                ))
            })
    }
}
