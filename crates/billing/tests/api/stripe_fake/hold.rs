//! Holding one answer: the request is answered as Stripe's state was when it
//! arrived, but the answer is sent only when the test releases it, so a test
//! can change Stripe, or deliver other events, between a read and its use.
use tokio::sync::oneshot;

/// The fake's side: which request to hold, and how to tell the test.
pub struct Held {
    pub method: String,
    pub path: String,
    reached: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

impl Held {
    /// Tells the test the answer is made, then waits for its release (or for
    /// the test to drop its `AnswerHold`).
    pub async fn wait(self) {
        let _ = self.reached.send(());
        let _ = self.release.await;
    }
}

/// The test's side of a held answer.
pub struct AnswerHold {
    reached: Option<oneshot::Receiver<()>>,
    release: oneshot::Sender<()>,
}

impl AnswerHold {
    /// Waits until the held request has arrived and been answered.
    pub async fn reached(&mut self) {
        if let Some(reached) = self.reached.take() {
            reached.await.expect("the held request arrived");
        }
    }

    /// Sends the held answer.
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

pub fn hold(method: &str, path: &str) -> (Held, AnswerHold) {
    let (reached_tx, reached_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel();
    (
        Held {
            method: method.to_owned(),
            path: path.to_owned(),
            reached: reached_tx,
            release: release_rx,
        },
        AnswerHold {
            reached: Some(reached_rx),
            release: release_tx,
        },
    )
}
