//! Replays every fuzz seed (fuzz/seeds/<target>/) and every saved crash
//! (fuzz/regressions/<target>/) through the same checks the fuzz targets run, so a crash
//! found once by `npm run fuzz` stays fixed: save its input there and this test holds it.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::fs;
use std::path::Path;

#[test]
fn seeds_and_saved_crashes_pass_the_fuzz_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for (target, check) in checks::TARGETS {
        for folder in ["seeds", "regressions"] {
            let Ok(entries) = fs::read_dir(root.join(folder).join(target)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(outcome.is_ok(), "{} fails its check", path.display());
                replayed += 1;
            }
        }
    }
    assert!(
        replayed >= 20,
        "only {replayed} inputs were found to replay"
    );
}
