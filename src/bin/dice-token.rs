//! dice-token: development keys and tokens for dice-mcp, like FastMCP's `RSAKeyPair`.
//!
//! On first use it creates a 2048-bit RSA key pair: the private key in `keys/dev-private.pem`
//! (git-ignored), the public key appended to `.dev.vars` as `JWT_PUBLIC_KEY` for `wrangler
//! dev` (an existing `JWT_PUBLIC_KEY` line is never overwritten). Then it prints a signed
//! RS256 token on stdout; everything else goes to stderr.
//!
//! ```text
//! dice-token [--aud A] [--iss I] [--sub S] [--scope "a b"] [--ttl SECONDS] [--kid K]
//! dice-token --public-key      print the public key (PEM), e.g. for `wrangler secret put`
//! ```

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_compact::{alg::Rsa, Algorithm, AlgorithmSignature};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;
use serde_json::{json, Map, Value};

const KEY_PATH: &str = "keys/dev-private.pem";
const DEV_VARS: &str = ".dev.vars";
const VAR: &str = "JWT_PUBLIC_KEY";

struct Options {
    aud: String,
    iss: String,
    sub: String,
    scope: Option<String>,
    ttl: u64,
    kid: Option<String>,
    public_key_only: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        aud: "dice-server".into(),
        iss: "dice-mcp-dev".into(),
        sub: "dev-user".into(),
        scope: None,
        ttl: 3600,
        kid: None,
        public_key_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--public-key" {
            o.public_key_only = true;
            continue;
        }
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--aud" => o.aud = value,
            "--iss" => o.iss = value,
            "--sub" => o.sub = value,
            "--scope" => o.scope = Some(value),
            "--kid" => o.kid = Some(value),
            "--ttl" => {
                o.ttl = value
                    .parse()
                    .ok()
                    .filter(|t| *t > 0)
                    .ok_or("--ttl takes a positive number of seconds")?
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("dice-token: {msg}");
            }
            eprintln!("usage: dice-token [--aud A] [--iss I] [--sub S] [--scope \"a b\"] [--ttl SECONDS] [--kid K] | --public-key");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dice-token: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(o: &Options) -> Result<(), String> {
    let key = load_or_create_key(Path::new(KEY_PATH))?;
    let public_pem = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    if o.public_key_only {
        print!("{public_pem}");
        return Ok(());
    }
    ensure_dev_vars(Path::new(DEV_VARS), &public_pem)?;
    if dice_mcp::SERVER.asks_for_input() {
        ensure_state_key(Path::new(DEV_VARS))?;
    }
    println!("{}", mint(&key, o)?);
    Ok(())
}

/// A server with a tool that asks for input needs `INPUT_STATE_KEY` to seal
/// `requestState`: adds a random development one to `.dev.vars` unless one is there.
fn ensure_state_key(path: &Path) -> Result<(), String> {
    let existing = fs::read_to_string(path).unwrap_or_default();
    let name = mcp_worker::vars::INPUT_STATE_KEY;
    if existing.lines().any(|l| l.starts_with(&format!("{name}="))) {
        return Ok(());
    }
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| e.to_string())?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    let sep = if existing.ends_with('\n') { "" } else { "\n" };
    writeln!(f, "{sep}{name}=\"{hex}\"").map_err(|e| e.to_string())?;
    eprintln!(
        "dice-token: added a development {name} to {}",
        path.display()
    );
    Ok(())
}

fn load_or_create_key(path: &Path) -> Result<RsaPrivateKey, String> {
    if path.exists() {
        let pem =
            fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        return RsaPrivateKey::from_pkcs8_pem(&pem)
            .map_err(|e| format!("{} is not a PKCS#8 private key: {e}", path.display()));
    }
    eprintln!(
        "dice-token: creating a 2048-bit RSA key pair in {}",
        path.display()
    );
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| e.to_string())?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    write_private(path, pem.as_bytes())?;
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    f.write_all(bytes).map_err(|e| e.to_string())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Adds `JWT_PUBLIC_KEY="<pem>"` to `.dev.vars` unless a line for it is already there.
fn ensure_dev_vars(path: &Path, public_pem: &str) -> Result<(), String> {
    let existing = fs::read_to_string(path).unwrap_or_default();
    // The user's own identity provider: adding the development key beside it would only
    // confuse what `npm run dev` serves with.
    let sets = |name: &str| {
        existing.lines().any(|l| {
            l.strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
                .is_some_and(|v| !v.trim().trim_matches('"').is_empty())
        })
    };
    if !existing.contains(&format!("{VAR}=")) && sets(mcp_worker::vars::JWT_JWKS_URL) {
        eprintln!(
            "dice-token: {} sets JWT_JWKS_URL, so the development key is not added to it: \
             the server verifies tokens from your identity provider, and this token will be refused",
            path.display()
        );
        return Ok(());
    }
    let prefix = format!("{VAR}=");
    if let Some(at) = existing
        .find(&prefix)
        .filter(|&i| i == 0 || existing[..i].ends_with('\n'))
    {
        let value = existing[at + prefix.len()..].trim_start_matches('"');
        let theirs: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        let ours: String = public_pem.chars().filter(|c| !c.is_whitespace()).collect();
        if !theirs.starts_with(&ours) {
            eprintln!(
                "dice-token: warning: {} already sets {VAR} to another key; it is left as it is, and \
                 tokens from this command will be refused until that line is removed",
                path.display()
            );
        }
        return Ok(());
    }
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    let sep = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    writeln!(f, "{sep}{VAR}=\"{}\"", public_pem.trim_end()).map_err(|e| e.to_string())?;
    eprintln!("dice-token: wrote {VAR} to {}", path.display());
    Ok(())
}

fn mint(key: &RsaPrivateKey, o: &Options) -> Result<String, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let mut header = Map::new();
    header.insert("alg".into(), "RS256".into());
    header.insert("typ".into(), "JWT".into());
    if let Some(kid) = &o.kid {
        header.insert("kid".into(), kid.clone().into());
    }
    let mut claims = json!({
        "iss": o.iss, "sub": o.sub, "aud": o.aud,
        "iat": now, "exp": now + o.ttl,
    });
    if let Some(scope) = &o.scope {
        claims["scope"] = Value::String(scope.clone());
    }
    let signing_input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(Value::Object(header).to_string().as_bytes()),
        Base64UrlUnpadded::encode_string(claims.to_string().as_bytes())
    );
    let signature = Rsa::rs256().sign(key, signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        Base64UrlUnpadded::encode_string(signature.as_bytes().as_ref())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_key_is_added_once_and_an_existing_one_is_kept() {
        let dir = std::env::temp_dir().join(format!("dice-token-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let vars = dir.join(".dev.vars");
        fs::write(&vars, "JWT_PUBLIC_KEY=\"x\"").unwrap();
        ensure_state_key(&vars).unwrap();
        let once = fs::read_to_string(&vars).unwrap();
        let line = once
            .lines()
            .find(|l| l.starts_with("INPUT_STATE_KEY="))
            .unwrap();
        assert_eq!(line.len(), "INPUT_STATE_KEY=\"\"".len() + 64, "{line}");
        ensure_state_key(&vars).unwrap();
        assert_eq!(fs::read_to_string(&vars).unwrap(), once);
        fs::remove_dir_all(&dir).unwrap();
    }
}
