//! Stripe's form encoding (`metadata[tenant_id]=…`, `line_items[0][price]=…`,
//! `lookup_keys[]=…`) into a JSON tree of strings: maps whose keys are all
//! indices become arrays.
use std::collections::BTreeMap;

use serde_json::Value;

enum Node {
    Leaf(String),
    Map(BTreeMap<String, Node>),
}

pub fn parse(text: &str) -> Value {
    let mut root = BTreeMap::new();
    for (key, value) in url::form_urlencoded::parse(text.as_bytes()) {
        let path = split_key(&key);
        insert(&mut root, &path, value.into_owned());
    }
    to_json(Node::Map(root))
}

/// `a[b][0]` → `["a", "b", "0"]`; `a[]` → `["a", ""]`.
fn split_key(key: &str) -> Vec<String> {
    let Some(open) = key.find('[') else {
        return vec![key.to_owned()];
    };
    let mut parts = vec![key[..open].to_owned()];
    let mut rest = &key[open..];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(close) = stripped.find(']') else {
            break;
        };
        parts.push(stripped[..close].to_owned());
        rest = &stripped[close + 1..];
    }
    parts
}

fn insert(map: &mut BTreeMap<String, Node>, path: &[String], value: String) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    // `[]` appends: the next index of this map.
    let key = if first.is_empty() {
        format!("{:010}", map.len())
    } else if first.bytes().all(|b| b.is_ascii_digit()) && !first.is_empty() {
        format!("{:0>10}", first)
    } else {
        first.clone()
    };
    if rest.is_empty() {
        map.insert(key, Node::Leaf(value));
        return;
    }
    let child = map.entry(key).or_insert_with(|| Node::Map(BTreeMap::new()));
    if let Node::Leaf(_) = child {
        *child = Node::Map(BTreeMap::new());
    }
    if let Node::Map(child) = child {
        insert(child, rest, value);
    }
}

fn to_json(node: Node) -> Value {
    match node {
        Node::Leaf(text) => Value::String(text),
        Node::Map(map) => {
            let indexed = !map.is_empty()
                && map
                    .keys()
                    .all(|k| k.len() == 10 && k.bytes().all(|b| b.is_ascii_digit()));
            if indexed {
                Value::Array(map.into_values().map(to_json).collect())
            } else {
                Value::Object(map.into_iter().map(|(k, v)| (k, to_json(v))).collect())
            }
        }
    }
}

#[test]
fn stripe_form_encoding_becomes_a_tree() {
    let form = parse(
        "mode=subscription&metadata%5Btenant_id%5D=t1&metadata[plan]=pro\
         &line_items[0][price]=price_1&line_items[0][quantity]=1&line_items[1][price]=price_2\
         &lookup_keys[]=a&lookup_keys[]=b&expand[0]=x&name=A+%26+B",
    );
    assert_eq!(
        form,
        serde_json::json!({
            "mode": "subscription",
            "metadata": {"tenant_id": "t1", "plan": "pro"},
            "line_items": [{"price": "price_1", "quantity": "1"}, {"price": "price_2"}],
            "lookup_keys": ["a", "b"],
            "expand": ["x"],
            "name": "A & B"
        })
    );
    assert_eq!(parse(""), serde_json::json!({}));
}
