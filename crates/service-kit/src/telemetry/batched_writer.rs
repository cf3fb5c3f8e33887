//! The log writer of production: lines are appended to a shared buffer and a
//! thread of its own writes the buffer out every [`FLUSH_EVERY`], so a request
//! never waits for a write system call and never wakes another thread.
//!
//! A channel-per-line writer (`tracing_appender::non_blocking`) wakes its
//! writer thread for every line: on a 2-core machine that wake-up (an
//! inter-processor interrupt and a context switch, often preempting a worker)
//! cost more than formatting the line (`docs/performance.md`). Here a line
//! costs a lock and a copy. When the sink falls behind and
//! [`MAX_PENDING`] bytes wait, the line's own thread writes the buffer out
//! itself: logging then waits, it never drops lines. Lines keep their order:
//! whoever writes takes the sink first, then the buffer.
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the buffer before it is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Bytes that may wait before the writing thread writes them itself.
pub const MAX_PENDING: usize = 4 << 20;

type Sink = Box<dyn Write + Send>;

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    sink: Mutex<Sink>,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    stopping: bool,
}

/// A poisoned lock only means another thread panicked while logging; the
/// buffer is still bytes, so keep logging.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Writes out whatever is pending. The sink is taken before the buffer,
    /// so two flushes write their batches in the order they took them.
    fn flush(&self) -> io::Result<()> {
        let mut sink = lock(&self.sink);
        let batch = std::mem::take(&mut lock(&self.pending).bytes);
        if batch.is_empty() {
            return Ok(());
        }
        sink.write_all(&batch)?;
        sink.flush()
    }
}

/// Hands out writers for the fmt layer; cheap to clone.
#[derive(Clone)]
pub struct BatchedWriter {
    shared: Arc<Shared>,
}

/// Stops the writer thread and writes what is left when dropped: hold it
/// until the process ends.
pub struct BatchedGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BatchedWriter {
    /// A writer into `sink`, and the guard of its thread.
    pub fn new(sink: impl Write + Send + 'static) -> io::Result<(Self, BatchedGuard)> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            sink: Mutex::new(Box::new(sink)),
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || run(&worker))?;
        Ok((
            Self {
                shared: Arc::clone(&shared),
            },
            BatchedGuard {
                shared,
                thread: Some(thread),
            },
        ))
    }
}

fn run(shared: &Shared) {
    loop {
        let stopping = {
            let pending = lock(&shared.pending);
            let (pending, _) = shared
                .wake
                .wait_timeout_while(pending, FLUSH_EVERY, |p| !p.stopping)
                .unwrap_or_else(PoisonError::into_inner);
            pending.stopping
        };
        // Nowhere to report a failed log write but the log itself.
        let _ = shared.flush();
        if stopping {
            return;
        }
    }
}

impl Drop for BatchedGuard {
    fn drop(&mut self) {
        lock(&self.shared.pending).stopping = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = self.shared.flush();
    }
}

/// One event's writer: the fmt layer writes a whole line in one call.
pub struct LineWriter<'a> {
    shared: &'a Shared,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let full = {
            let mut pending = lock(&self.shared.pending);
            pending.bytes.extend_from_slice(buf);
            pending.bytes.len() >= MAX_PENDING
        };
        if full {
            self.shared.flush()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A sink the test can read while the writer holds it.
    #[derive(Clone, Default)]
    struct Shelf(Arc<Mutex<Vec<u8>>>);

    impl Write for Shelf {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            lock(&self.0).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shelf {
        fn text(&self) -> String {
            String::from_utf8(lock(&self.0).clone()).expect("utf-8")
        }
    }

    #[test]
    fn lines_from_many_threads_all_arrive_in_each_threads_order() {
        let shelf = Shelf::default();
        let (writer, guard) = BatchedWriter::new(shelf.clone()).expect("thread");
        std::thread::scope(|scope| {
            for t in 0..4 {
                let writer = &writer;
                scope.spawn(move || {
                    for i in 0..2_000 {
                        // As the fmt layer does: one whole line per call.
                        let line = format!("t{t} {i}\n");
                        writer
                            .make_writer()
                            .write_all(line.as_bytes())
                            .expect("written");
                    }
                });
            }
        });
        drop(guard);
        let text = shelf.text();
        for t in 0..4 {
            let seen: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("t{t} ")))
                .map(|n| n.parse().expect("number"))
                .collect();
            assert_eq!(seen, (0..2_000).collect::<Vec<_>>(), "thread {t}");
        }
    }

    #[test]
    fn a_line_is_written_without_waiting_for_the_guard() {
        let shelf = Shelf::default();
        let (writer, _guard) = BatchedWriter::new(shelf.clone()).expect("thread");
        writeln!(writer.make_writer(), "hello").expect("written");
        assert_eq!(shelf.text(), "", "buffered, not written by the caller");
        let deadline = Instant::now() + Duration::from_secs(5);
        while shelf.text().is_empty() {
            assert!(Instant::now() < deadline, "never written");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(shelf.text(), "hello\n");
    }

    #[test]
    fn a_full_buffer_is_written_by_the_thread_that_filled_it() {
        let shelf = Shelf::default();
        let (writer, guard) = BatchedWriter::new(shelf.clone()).expect("thread");
        let line = vec![b'x'; MAX_PENDING];
        writer.make_writer().write_all(&line).expect("written");
        assert_eq!(
            lock(&shelf.0).len(),
            MAX_PENDING,
            "written at once by the caller"
        );
        drop(guard);
        assert_eq!(lock(&shelf.0).len(), MAX_PENDING, "nothing written twice");
    }
}
