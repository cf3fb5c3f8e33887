use std::sync::Arc;

use tokio::task::JoinSet;

use super::*;

fn hasher(workers: usize) -> PasswordHasher {
    PasswordHasher::new(HasherConfig {
        workers: Some(workers),
        ..HasherConfig::default()
    })
    .unwrap()
}

fn pw(raw: &str) -> Password {
    PasswordPolicy::check(raw, &[]).unwrap()
}

#[tokio::test]
async fn hash_then_verify() {
    let h = hasher(2);
    let phc = h.hash(&pw("correct horse battery")).await.unwrap();
    let ok = h.verify("correct horse battery", &phc).await.unwrap();
    assert_eq!(
        ok,
        Verification {
            matches: true,
            needs_rehash: false
        }
    );
    let bad = h.verify("correct horse battery!", &phc).await.unwrap();
    assert_eq!(
        bad,
        Verification {
            matches: false,
            needs_rehash: false
        }
    );
    let case = h.verify("Correct horse battery", &phc).await.unwrap();
    assert!(!case.matches, "no case folding");
}

#[tokio::test]
async fn phc_format() {
    let h = hasher(1);
    let a = h.hash(&pw("same password twice")).await.unwrap();
    let b = h.hash(&pw("same password twice")).await.unwrap();
    assert_ne!(a, b, "fresh salt each time");
    let fields: Vec<&str> = a.split('$').collect();
    assert_eq!(fields.len(), 6, "{a}");
    assert_eq!(&fields[..4], ["", "argon2id", "v=19", "m=19456,t=2,p=1"]);
    assert_eq!(fields[4].len(), 22, "16-byte salt, unpadded B64");
    assert_eq!(fields[5].len(), 43, "32-byte output, unpadded B64");
}

#[tokio::test]
async fn verify_normalises_the_candidate() {
    let h = hasher(1);
    let phc = h.hash(&pw("ｃｏｒｒｅｃｔ horse!")).await.unwrap();
    assert!(h.verify("correct horse!", &phc).await.unwrap().matches);
    assert!(
        h.verify("ｃｏｒｒｅｃｔ horse!", &phc)
            .await
            .unwrap()
            .matches
    );
}

#[tokio::test]
async fn needs_rehash_when_params_are_raised() {
    let old = hasher(1);
    let phc = old.hash(&pw("upgrade me please")).await.unwrap();
    let stronger = PasswordHasher::new(HasherConfig {
        memory_kib: 24_576,
        iterations: 3,
        workers: Some(1),
        ..HasherConfig::default()
    })
    .unwrap();
    let v = stronger.verify("upgrade me please", &phc).await.unwrap();
    assert_eq!(
        v,
        Verification {
            matches: true,
            needs_rehash: true
        }
    );
    let wrong = stronger.verify("upgrade me later", &phc).await.unwrap();
    assert_eq!(
        wrong,
        Verification {
            matches: false,
            needs_rehash: false
        }
    );
    // A hash made with the stronger config is not stale for the old one.
    let new_phc = stronger.hash(&pw("upgrade me please")).await.unwrap();
    assert!(new_phc.starts_with("$argon2id$v=19$m=24576,t=3,p=1$"));
    let v = old.verify("upgrade me please", &new_phc).await.unwrap();
    assert_eq!(
        v,
        Verification {
            matches: true,
            needs_rehash: false
        }
    );
}

#[tokio::test]
async fn busy_when_queue_is_full() {
    let h = Arc::new(
        PasswordHasher::new(HasherConfig {
            workers: Some(1),
            queue_capacity: 1,
            ..HasherConfig::default()
        })
        .unwrap(),
    );
    let password = pw("flood the hashing pool");
    let mut tasks = JoinSet::new();
    for i in 0..24 {
        let h = Arc::clone(&h);
        let password = password.clone();
        tasks.spawn(async move {
            if i % 2 == 0 {
                h.hash(&password).await.map(|_| ())
            } else {
                h.verify_dummy("flood the hashing pool").await
            }
        });
    }
    let (mut busy, mut done) = (0, 0);
    while let Some(res) = tasks.join_next().await {
        match res.unwrap() {
            Ok(()) => done += 1,
            Err(HashError::Busy { retry_after_secs }) => {
                assert!(retry_after_secs >= 1);
                busy += 1;
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert!(busy >= 1, "no Busy among 24 concurrent requests");
    assert!(done >= 1, "nothing was served");
    // The pool recovers once drained.
    assert!(h.hash(&password).await.is_ok());
}

#[tokio::test]
async fn dummy_verify_returns() {
    let h = hasher(1);
    assert_eq!(h.verify_dummy("whatever the attacker typed").await, Ok(()));
    assert_eq!(h.verify_dummy("").await, Ok(()));
}

#[tokio::test]
async fn malformed_and_oversized_inputs() {
    let h = hasher(1);
    assert!(matches!(
        h.verify("x", "plaintext-password").await,
        Err(HashError::MalformedHash(_))
    ));
    let phc = h.hash(&pw("a normal password")).await.unwrap();
    let huge = "a".repeat(1_000_000);
    let v = h.verify(&huge, &phc).await.unwrap();
    assert!(!v.matches);
}

#[test]
fn refuses_configs_below_the_owasp_floor() {
    let with = |f: fn(&mut HasherConfig)| {
        let mut c = HasherConfig {
            workers: Some(1),
            ..HasherConfig::default()
        };
        f(&mut c);
        PasswordHasher::new(c).err()
    };
    assert!(matches!(
        with(|c| c.memory_kib = 19_455),
        Some(ConfigError::MemoryTooLow {
            got: 19_455,
            min: 19_456
        })
    ));
    assert!(matches!(
        with(|c| c.iterations = 1),
        Some(ConfigError::IterationsTooLow { .. })
    ));
    assert!(matches!(
        with(|c| c.parallelism = 0),
        Some(ConfigError::ParallelismTooLow { .. })
    ));
    assert!(matches!(
        with(|c| c.workers = Some(0)),
        Some(ConfigError::NoWorkers)
    ));
    assert!(matches!(
        with(|c| c.queue_capacity = 0),
        Some(ConfigError::NoQueue)
    ));
    assert!(with(|c| c.parallelism = 4).is_none(), "upward is fine");
}

#[test]
fn default_worker_count_follows_available_cores() {
    let h = PasswordHasher::new(HasherConfig::default()).unwrap();
    let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    assert_eq!(h.workers(), cores);
}
