//! An OpenAI-compatible chat completion: the request body, and the text
//! and token count read from the answer.
use serde::Deserialize;
use serde_json::{json, Value};

use super::prompt::Message;

/// The longest answer asked for, in tokens: bounds each call's cost.
pub const MAX_ANSWER_TOKENS: u32 = 400;
/// The longest text kept from an answer, in characters.
pub const MAX_TEXT: usize = 2_000;

/// The body of `POST {base}/chat/completions`.
pub fn request_body(model: &str, messages: &[Message]) -> Value {
    json!({
        "model": model,
        "messages": messages,
        "max_tokens": MAX_ANSWER_TOKENS,
        "temperature": 0.2,
    })
}

/// What an answer gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The first choice's text, trimmed, at most [`MAX_TEXT`] characters.
    pub text: String,
    /// `usage.total_tokens`, 0 when the answer does not say.
    pub total_tokens: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is not a chat completion")]
    Malformed,
    #[error("the answer has no text")]
    Empty,
}

#[derive(Deserialize)]
struct Body {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    total_tokens: i64,
}

/// The tokens an answer says it used, even when it is otherwise unusable
/// (they are spent either way).
pub fn tokens_used(body: &[u8]) -> i64 {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["usage"]["total_tokens"].as_i64())
        .unwrap_or(0)
        .max(0)
}

/// The text and token count of an answer's body.
pub fn parse_answer(body: &[u8]) -> Result<Answer, AnswerError> {
    let parsed: Body = serde_json::from_slice(body).map_err(|_| AnswerError::Malformed)?;
    let total_tokens = parsed.usage.map_or(0, |u| u.total_tokens.max(0));
    let text = parsed
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.message.content)
        .map(|t| t.trim().chars().take(MAX_TEXT).collect::<String>())
        .unwrap_or_default();
    if text.is_empty() {
        return Err(AnswerError::Empty);
    }
    Ok(Answer { text, total_tokens })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_names_the_model_and_bounds_the_answer() {
        let m = vec![Message {
            role: "user",
            content: "hi".into(),
        }];
        let body = request_body("gpt-test", &m);
        assert_eq!(body["model"], "gpt-test");
        assert_eq!(body["messages"][0]["role"], "user");
        assert_eq!(body["messages"][0]["content"], "hi");
        assert_eq!(body["max_tokens"], MAX_ANSWER_TOKENS);
    }

    #[test]
    fn an_answer_gives_its_first_choice_and_usage() {
        let body = br#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"  A quiet day.  "}}],"usage":{"prompt_tokens":90,"completion_tokens":10,"total_tokens":100}}"#;
        assert_eq!(
            parse_answer(body),
            Ok(Answer {
                text: "A quiet day.".into(),
                total_tokens: 100
            })
        );
        assert_eq!(tokens_used(body), 100);
    }

    #[test]
    fn malformed_and_empty_answers_are_refused() {
        for bad in [
            &b"not json"[..],
            br#"{"choices":"no"}"#,
            br#"{"error":{"message":"x"}}"#,
        ] {
            assert_eq!(parse_answer(bad), Err(AnswerError::Malformed), "{bad:?}");
        }
        let empty = br#"{"choices":[{"message":{"content":"   "}}],"usage":{"total_tokens":7}}"#;
        assert_eq!(parse_answer(empty), Err(AnswerError::Empty));
        assert_eq!(tokens_used(empty), 7, "spent even so");
        assert_eq!(parse_answer(br#"{"choices":[]}"#), Err(AnswerError::Empty));
        assert_eq!(tokens_used(b"not json"), 0);
    }

    #[test]
    fn long_answers_are_cut() {
        let long = "a".repeat(MAX_TEXT + 50);
        let body = json!({"choices":[{"message":{"content": long}}]}).to_string();
        let answer = parse_answer(body.as_bytes()).expect("answer");
        assert_eq!(answer.text.len(), MAX_TEXT);
        assert_eq!(answer.total_tokens, 0);
    }
}
