use super::{dice_rules::DiceRules, roll_for::RollFor, whoami::WhoAmI};
use dice_mcp::dice::RollDice;
use mcp_worker::mcp::Server;
use mcp_worker::tools::Registry;
use mcp_worker::{prompts, resources};

static TOOLS: Registry = Registry::new(&[&RollDice]);
// Resources first, then templates.
static RESOURCES: resources::Registry = resources::Registry::new(&[&WhoAmI], &[&DiceRules]);
static PROMPTS: prompts::Registry = prompts::Registry::new(&[&RollFor]);

pub static SERVER: Server = Server::new("my-dice-server", env!("CARGO_PKG_VERSION"))
    .title("My dice server")
    .instructions("Roll dice with roll_dice; read the rules at rules://dice/{game}.")
    .tools(&TOOLS)
    .resources(&RESOURCES)
    .prompts(&PROMPTS);
