//! The systemd units: each unit's `Environment=` and `ExecStart=`, with
//! the generated block as its `EnvironmentFile=`.
use super::{EnvMap, Rendered, Stack, SERVICES};
use crate::common::{parse_env, repo_file};

/// A unit's `Environment=` pairs, `EnvironmentFile=` path and `ExecStart=`
/// arguments (without the binary).
struct Unit {
    environment: EnvMap,
    environment_file: String,
    args: Vec<String>,
}

fn unit(name: &str) -> Unit {
    let text = repo_file(&format!("deploy/systemd/{name}"));
    let mut environment = EnvMap::new();
    let mut environment_file = None;
    let mut exec = None;
    for line in text.lines().map(str::trim) {
        if let Some(pairs) = line.strip_prefix("Environment=") {
            for pair in pairs.split_whitespace() {
                let (k, v) = pair.split_once('=').expect("KEY=value");
                environment.insert(k.to_owned(), v.to_owned());
            }
        } else if let Some(path) = line.strip_prefix("EnvironmentFile=") {
            environment_file = Some(path.trim_start_matches('-').to_owned());
        } else if let Some(cmd) = line.strip_prefix("ExecStart=") {
            exec = Some(cmd.to_owned());
        }
    }
    let exec = exec.expect("ExecStart");
    let mut words = exec.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/connectauth"));
    Unit {
        environment,
        environment_file: environment_file.expect("EnvironmentFile"),
        args: words.map(str::to_owned).collect(),
    }
}

#[tokio::test]
async fn the_systemd_units_start_with_the_generated_environment_file() {
    let stack = Stack::new().await;
    // systemd removes the quotes of an EnvironmentFile's values.
    let generated = stack.generate("systemd");
    let file: EnvMap = parse_env(&generated).into_iter().collect();
    // One host needs no Redis: the block only shows the line, commented.
    assert!(!file.contains_key("REDIS_URL"));
    assert!(
        generated.lines().any(|l| l
            .trim_start_matches(['#', ' '])
            .starts_with("REDIS_URL=redis://127.0.0.1:")),
        "the systemd block documents REDIS_URL on loopback"
    );
    let render = |name: &str, service: &str| {
        let u = unit(name);
        assert_eq!(u.environment_file, "/etc/connectauth/connectauth.env");
        // The file's settings override the unit's Environment=.
        let mut env = u.environment;
        env.extend(file.clone());
        stack.localize(service, &mut env);
        (u.args, env)
    };
    let (args, env) = render("connectauth-migrate.service", "auth");
    assert_eq!(args, ["migrate"]);
    stack.run_step(&args, &env);
    let services = SERVICES
        .iter()
        .map(|service| {
            let (args, env) = render(&format!("connectauth-{service}.service"), service);
            assert_eq!(args, ["serve", *service]);
            Rendered {
                service: (*service).to_owned(),
                args,
                env,
                ready_path: "/readyz".to_owned(),
            }
        })
        .collect();
    stack.start_all(services).await;
}
