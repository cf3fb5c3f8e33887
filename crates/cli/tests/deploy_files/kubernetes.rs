//! The Kubernetes manifests: pods' environments over a Secret made from the
//! generated block, the autoscalers and network policies, and the Redis
//! only the auth pods reach.
use serde_yaml::Value;

use super::{scalar, EnvMap, Rendered, Stack, REDIS_HOST, SERVICES};
use crate::common::repo_file;

/// `kubectl create secret generic --from-env-file`: `KEY=value` lines,
/// comments and blank lines skipped, the value kept as written (quotes too).
fn kubectl_secret(text: &str) -> EnvMap {
    text.lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').expect("KEY=value");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// The one container of the first document (Deployment or Job) of `file`.
fn container(file: &str) -> Value {
    let text = repo_file(&format!("deploy/kubernetes/{file}"));
    let first = text.split("\n---").next().expect("a document");
    let doc: Value = serde_yaml::from_str(first).expect("valid YAML");
    let containers = doc["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .expect("containers");
    assert_eq!(containers.len(), 1, "{file}");
    containers[0].clone()
}

/// The container's environment as the kubelet builds it: a missing Secret
/// key that is not `optional` stops the pod (CreateContainerConfigError).
fn pod_env(file: &str, c: &Value, secret: &EnvMap) -> EnvMap {
    let mut env = EnvMap::new();
    for entry in c["env"].as_sequence().expect("env") {
        let name = scalar(&entry["name"]);
        if let Some(value) = entry.get("value") {
            env.insert(name, scalar(value));
            continue;
        }
        let key_ref = &entry["valueFrom"]["secretKeyRef"];
        assert_eq!(
            key_ref["name"],
            Value::from("connectauth"),
            "{file}: {name}"
        );
        let key = scalar(&key_ref["key"]);
        let optional = key_ref["optional"].as_bool().unwrap_or(false);
        match secret.get(&key) {
            Some(v) => {
                env.insert(name, v.clone());
            }
            None => assert!(
                optional,
                "{file}: {name} needs Secret key {key}, which the generated block lacks"
            ),
        }
    }
    env
}

#[tokio::test]
async fn the_kubernetes_manifests_start_with_the_generated_secret() {
    let stack = Stack::new().await;
    let secret = kubectl_secret(&stack.generate("kubernetes"));
    let job = container("migrate-job.yaml");
    let mut env = pod_env("migrate-job.yaml", &job, &secret);
    stack.localize("auth", &mut env);
    let args: Vec<String> = job["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(scalar)
        .collect();
    assert_eq!(args, ["migrate"]);
    stack.run_step(&args, &env);
    let services = SERVICES
        .iter()
        .map(|service| {
            let file = format!("{service}.yaml");
            let c = container(&file);
            let args: Vec<String> = c["args"]
                .as_sequence()
                .expect("args")
                .iter()
                .map(scalar)
                .collect();
            assert_eq!(args, ["serve", service], "{file}");
            let mut env = pod_env(&file, &c, &secret);
            // The bind's port is the container port the probes use.
            let port = c["ports"][0]["containerPort"].as_u64().expect("port");
            let bind_key = format!("{}_BIND", service.to_uppercase());
            assert_eq!(
                env.get(&bind_key),
                Some(&format!("0.0.0.0:{port}")),
                "{file}"
            );
            assert_eq!(c["readinessProbe"]["httpGet"]["port"], Value::from("http"));
            if *service == "auth" {
                assert_eq!(
                    env.get("REDIS_URL"),
                    Some(&format!("redis://{REDIS_HOST}")),
                    "auth.yaml: REDIS_URL names the Service of redis.yaml"
                );
            }
            stack.localize(service, &mut env);
            Rendered {
                service: (*service).to_owned(),
                args,
                env,
                ready_path: scalar(&c["readinessProbe"]["httpGet"]["path"]),
            }
        })
        .collect();
    stack.start_all(services).await;
}

/// Every YAML document of `deploy/kubernetes/{file}`.
fn documents(file: &str) -> Vec<Value> {
    repo_file(&format!("deploy/kubernetes/{file}"))
        .split("\n---")
        .map(|doc| serde_yaml::from_str(doc).expect("valid YAML"))
        .filter(|doc: &Value| !doc.is_null())
        .collect()
}

/// Whether a NetworkPolicy's pod selector picks the pods of `service`.
fn selects(policy: &Value, service: &str) -> bool {
    let selector = &policy["spec"]["podSelector"];
    if selector["matchLabels"]["app.kubernetes.io/name"] == service {
        return true;
    }
    selector["matchExpressions"]
        .as_sequence()
        .into_iter()
        .flatten()
        .any(|e| {
            e["key"] == "app.kubernetes.io/name"
                && e["operator"] == "In"
                && e["values"]
                    .as_sequence()
                    .is_some_and(|v| v.iter().any(|x| x == service))
        })
}

#[test]
fn the_kubernetes_autoscalers_and_network_policies_fit_the_deployments() {
    let autoscalers = documents("autoscaling.yaml");
    assert_eq!(autoscalers.len(), SERVICES.len());
    for service in SERVICES {
        let hpa = autoscalers
            .iter()
            .find(|d| d["spec"]["scaleTargetRef"]["name"] == service)
            .unwrap_or_else(|| panic!("no autoscaler for {service}"));
        assert_eq!(hpa["kind"], Value::from("HorizontalPodAutoscaler"));
        assert_eq!(hpa["metadata"]["namespace"], Value::from("connectauth"));
        assert_eq!(
            hpa["spec"]["scaleTargetRef"]["kind"],
            Value::from("Deployment")
        );
        let min = hpa["spec"]["minReplicas"].as_u64().expect("minReplicas");
        let max = hpa["spec"]["maxReplicas"].as_u64().expect("maxReplicas");
        // The PodDisruptionBudget keeps one pod: two keep a drain serving.
        assert!(min >= 2 && max >= min, "{service}: {min}..{max}");
        // A CPU utilization target needs a CPU request on the container.
        let c = container(&format!("{service}.yaml"));
        assert!(
            !scalar(&c["resources"]["requests"]["cpu"]).is_empty(),
            "{service} requests no CPU"
        );
    }

    let policies = documents("network-policies.yaml");
    assert!(
        policies.iter().any(|p| {
            p["spec"]["podSelector"]
                .as_mapping()
                .is_some_and(|m| m.is_empty())
                && p["spec"]["policyTypes"] == Value::from(vec!["Ingress"])
                && p["spec"]["ingress"].is_null()
        }),
        "a default deny of ingress for the whole namespace"
    );
    for service in SERVICES {
        // The port the policies open is the container's named port.
        let c = container(&format!("{service}.yaml"));
        assert_eq!(c["ports"][0]["name"], Value::from("http"), "{service}");
        assert!(
            policies.iter().any(|p| selects(p, service)
                && p["spec"]["ingress"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .any(|rule| rule["ports"][0]["port"] == "http")),
            "{service} is reachable from the proxy on its http port"
        );
    }
    // The auth server reports usage to billing in-cluster.
    assert!(policies.iter().any(|p| selects(p, "billing")
        && p["spec"]["ingress"]
            .as_sequence()
            .into_iter()
            .flatten()
            .any(|rule| rule["from"]
                .as_sequence()
                .into_iter()
                .flatten()
                .any(|f| f["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "auth"))));
}

/// The ingress rules of every policy that selects `service`'s pods.
fn ingress_rules<'a>(policies: &'a [Value], service: &str) -> Vec<&'a Value> {
    policies
        .iter()
        .filter(|p| selects(p, service))
        .flat_map(|p| p["spec"]["ingress"].as_sequence().into_iter().flatten())
        .collect()
}

#[test]
fn the_kubernetes_redis_serves_only_the_auth_pods() {
    let docs = documents("redis.yaml");
    let deployment = docs
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Deployment");
    assert_eq!(deployment["metadata"]["name"], Value::from("redis"));
    assert_eq!(
        deployment["metadata"]["namespace"],
        Value::from("connectauth")
    );
    let pod = &deployment["spec"]["template"];
    assert_eq!(
        pod["metadata"]["labels"]["app.kubernetes.io/name"],
        Value::from("redis")
    );
    assert_eq!(
        pod["spec"]["securityContext"]["runAsNonRoot"],
        Value::from(true)
    );
    let c = container("redis.yaml");
    let image = scalar(&c["image"]);
    let tag = image.strip_prefix("redis:").expect("the official image");
    assert!(
        tag.starts_with(|ch: char| ch.is_ascii_digit()),
        "pinned tag: {image}"
    );
    assert_eq!(c["ports"][0]["containerPort"], Value::from(6379));
    assert!(!c["readinessProbe"].is_null() && !c["livenessProbe"].is_null());
    assert!(!scalar(&c["resources"]["requests"]["cpu"]).is_empty());
    assert!(!scalar(&c["resources"]["limits"]["memory"]).is_empty());
    let args: Vec<String> = c["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(scalar)
        .collect();
    assert!(args.windows(2).any(|w| w == ["--save", ""]), "{args:?}");

    // The Service auth.yaml's REDIS_URL names.
    let service = docs
        .iter()
        .find(|d| d["kind"] == "Service")
        .expect("a Service");
    let (name, port) = REDIS_HOST.split_once(':').expect("host:port");
    assert_eq!(service["metadata"]["name"], Value::from(name));
    assert_eq!(
        service["spec"]["selector"]["app.kubernetes.io/name"],
        Value::from("redis")
    );
    assert_eq!(
        service["spec"]["ports"][0]["port"],
        Value::from(port.parse::<u64>().expect("port"))
    );

    // Behind the default deny, only the auth pods reach it, on 6379 only.
    let policies = documents("network-policies.yaml");
    let rules = ingress_rules(&policies, "redis");
    assert!(!rules.is_empty(), "a policy opens Redis to the auth pods");
    for rule in rules {
        let from = rule["from"].as_sequence().expect("`from` names the peers");
        assert!(!from.is_empty());
        for peer in from {
            assert_eq!(
                peer["podSelector"]["matchLabels"],
                serde_yaml::from_str::<Value>("app.kubernetes.io/name: auth").expect("YAML"),
                "only the auth pods: {peer:?}"
            );
            assert!(peer["namespaceSelector"].is_null() && peer["ipBlock"].is_null());
        }
        let ports = rule["ports"].as_sequence().expect("ports");
        assert!(ports
            .iter()
            .all(|p| p["port"] == 6379 || p["port"] == "redis"));
    }
}
