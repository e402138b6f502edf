use dice_mcp::dice::MAX_DICE;
use mcp_worker::prompts::{Argument, Completer, Context, Prompt, PromptError, PromptResult};
use serde::Deserialize;

/// Asks the model to settle something with a roll of the dice.
pub struct RollFor;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct RollForArgs {
    pub action: String,
    pub dice: Option<String>,
}

impl Prompt for RollFor {
    const NAME: &'static str = "roll_for";
    const TITLE: Option<&'static str> = Some("Roll for it");
    const DESCRIPTION: &'static str = "Let the dice decide whether an action succeeds.";
    const ARGUMENTS: &'static [Argument] = &[
        Argument::required("action", "What the character tries to do"),
        Argument::optional("dice", "How many dice to roll (default 2)"),
    ];
    type Args = RollForArgs;

    fn completer(argument: &str) -> Completer {
        match argument {
            "dice" => Completer::List(&["1", "2", "3", "4", "5", "6"]),
            _ => Completer::None,
        }
    }

    async fn get(&self, args: RollForArgs, _: &Context) -> Result<PromptResult, PromptError> {
        let dice: u32 = match args.dice.as_deref() {
            None | Some("") => 2,
            Some(d) => d
                .parse()
                .ok()
                .filter(|n| (1..=u32::from(MAX_DICE)).contains(n))
                .ok_or_else(|| {
                    PromptError::invalid(format!(
                        "'dice' must be a whole number from 1 to {MAX_DICE}"
                    ))
                })?,
        };
        Ok(PromptResult::user(format!(
            "I try to {}. Call roll_dice with n_dice={dice}; if the total is at least {}, say I succeed, otherwise that I fail, and tell the story.",
            args.action,
            dice * 4
        ))
        .with_description(format!("Roll {dice} dice for: {}", args.action)))
    }
}
