//! The JSON log line of production, written straight from the event.
//!
//! One object per line, in the shape log shippers already parse from
//! `tracing-subscriber`'s JSON formatter:
//!
//! ```text
//! {"timestamp":"2026-12-06T09:30:00.123456Z","level":"INFO","fields":{"message":"request finished","status":200},"target":"service_kit::http::request_id","span":{"request_id":"…","name":"request"}}
//! ```
//!
//! `tracing-subscriber`'s formatter (with the current span) formats a span's
//! fields to JSON when the span opens, then parses that JSON back into a map
//! for every line logged inside it and serialises the whole line through
//! `serde_json` maps: on a cached token request that cost more than the rest
//! of the request (`docs/performance.md`). Here a span's fields are written
//! once, as a JSON fragment kept in the span, and copied into each line; the
//! line is built in a reused per-thread buffer and handed to the writer in
//! one `write_all`. Strings are escaped by `serde_json`.
use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::Write;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// A layer writing one JSON object per event to `W`'s writers.
pub struct JsonLines<W> {
    make_writer: W,
}

impl<W> JsonLines<W> {
    pub fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

/// A span's fields as a JSON fragment (`"k":v,"k2":v2`), kept in the span.
struct SpanFields(Vec<u8>);

impl<S, W> Layer<S> for JsonLines<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::new(Vec::new());
        attrs.record(&mut fields);
        span.extensions_mut().insert(SpanFields(fields.out));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(kept)) = extensions.get_mut::<SpanFields>() {
            let mut fields = Fields::new(std::mem::take(kept));
            values.record(&mut fields);
            *kept = fields.out;
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        thread_local! {
            static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        LINE.with(|cell| {
            // A log call made while this thread formats a line (a `Debug`
            // impl that logs) gets a buffer of its own.
            let mut reused;
            let mut fresh = Vec::new();
            let line: &mut Vec<u8> = match cell.try_borrow_mut() {
                Ok(borrowed) => {
                    reused = borrowed;
                    reused.clear();
                    &mut reused
                }
                Err(_) => &mut fresh,
            };
            let span = event
                .parent()
                .and_then(|id| ctx.span(id))
                .or_else(|| ctx.lookup_current());
            match &span {
                Some(span) => {
                    let extensions = span.extensions();
                    let fields = extensions.get::<SpanFields>().map_or(&[][..], |f| &f.0);
                    write_line(line, now(), event, Some((span.name(), fields)));
                }
                None => write_line(line, now(), event, None),
            }
            // A log line that cannot be written has nowhere to be reported.
            let _ = self.make_writer.make_writer().write_all(line);
        });
    }
}

/// The line for `event` at `timestamp`, inside `span` (its name and fields).
fn write_line(
    line: &mut Vec<u8>,
    timestamp: time::OffsetDateTime,
    event: &Event<'_>,
    span: Option<(&str, &[u8])>,
) {
    line.extend_from_slice(b"{\"timestamp\":\"");
    write_timestamp(line, timestamp);
    line.extend_from_slice(b"\",\"level\":\"");
    line.extend_from_slice(level_name(*event.metadata().level()).as_bytes());
    line.extend_from_slice(b"\",\"fields\":{");
    let mut fields = Fields::new(std::mem::take(line));
    event.record(&mut fields);
    *line = fields.out;
    line.extend_from_slice(b"},\"target\":");
    push_json_str(line, event.metadata().target());
    if let Some((name, fields)) = span {
        line.extend_from_slice(b",\"span\":{");
        line.extend_from_slice(fields);
        if !fields.is_empty() {
            line.push(b',');
        }
        line.extend_from_slice(b"\"name\":");
        push_json_str(line, name);
        line.push(b'}');
    }
    line.extend_from_slice(b"}\n");
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// RFC 3339 in UTC with microseconds, as `tracing-subscriber` writes it.
fn write_timestamp(out: &mut Vec<u8>, t: time::OffsetDateTime) {
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    );
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARN",
        Level::INFO => "INFO",
        Level::DEBUG => "DEBUG",
        Level::TRACE => "TRACE",
    }
}

/// Appends `text` as a JSON string, quoted and escaped.
fn push_json_str(out: &mut Vec<u8>, text: &str) {
    // Serialising a `&str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(out, text);
}

/// Writes the fields it visits as `"name":value` pairs separated by commas.
struct Fields {
    out: Vec<u8>,
    /// Whether the next pair needs a comma before it.
    comma: bool,
    /// Scratch for `Debug`/`Display` values before they are escaped.
    scratch: String,
}

impl Fields {
    fn new(out: Vec<u8>) -> Self {
        // Appending to a fragment that already holds pairs needs a comma.
        let comma = !matches!(out.last(), None | Some(b'{'));
        Self {
            out,
            comma,
            scratch: String::new(),
        }
    }

    fn key(&mut self, field: &Field) {
        if self.comma {
            self.out.push(b',');
        }
        self.comma = true;
        push_json_str(&mut self.out, field.name());
        self.out.push(b':');
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        push_json_str(&mut self.out, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        let _ = write!(self.out, "{value}");
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        let _ = write!(self.out, "{value}");
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        // JSON has no NaN or infinities: those are written as strings.
        if value.is_finite() {
            let _ = write!(self.out, "{value}");
        } else {
            let _ = write!(self.out, "\"{value}\"");
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.scratch.clear();
        let _ = write!(self.scratch, "{value}");
        self.key(field);
        push_json_str(&mut self.out, &self.scratch);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.scratch.clear();
        let _ = write!(self.scratch, "{value:?}");
        self.key(field);
        push_json_str(&mut self.out, &self.scratch);
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[derive(Clone, Default)]
    struct Shelf(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Shelf {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("shelf").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Shelf {
        type Writer = Shelf;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn lines(run: impl FnOnce()) -> Vec<serde_json::Value> {
        let shelf = Shelf::default();
        let subscriber = tracing_subscriber::registry().with(JsonLines::new(shelf.clone()));
        tracing::subscriber::with_default(subscriber, run);
        let text = String::from_utf8(shelf.0.lock().expect("shelf").clone()).expect("utf-8");
        assert!(text.ends_with('\n'), "every line ends: {text:?}");
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    #[test]
    fn a_line_carries_its_fields_target_level_and_span() {
        let lines = lines(|| {
            let span = tracing::info_span!("request", request_id = %"r-1");
            let _entered = span.enter();
            tracing::info!(status = 200u16, latency_ms = 3u64, path = %"/token", ok = true, "request finished");
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], module_path!());
        assert_eq!(line["fields"]["message"], "request finished");
        assert_eq!(line["fields"]["status"], 200);
        assert_eq!(line["fields"]["latency_ms"], 3);
        assert_eq!(line["fields"]["path"], "/token");
        assert_eq!(line["fields"]["ok"], true);
        assert_eq!(line["span"]["name"], "request");
        assert_eq!(line["span"]["request_id"], "r-1");
        let stamp = line["timestamp"].as_str().expect("timestamp");
        time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{stamp}: {e}"));
        assert!(stamp.ends_with('Z') && stamp.len() == 27, "{stamp}");
    }

    #[test]
    fn strings_are_escaped_and_odd_numbers_stay_json() {
        let nasty = "quote \" backslash \\ newline \n tab \t nul \u{0} é 🦀";
        let lines = lines(|| {
            tracing::warn!(text = nasty, debug = ?nasty, ratio = f64::NAN, neg = -5i64, "line\nbreak");
        });
        let line = &lines[0];
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"]["text"], nasty);
        assert_eq!(line["fields"]["debug"], format!("{nasty:?}"));
        assert_eq!(line["fields"]["ratio"], "NaN");
        assert_eq!(line["fields"]["neg"], -5);
        assert_eq!(line["fields"]["message"], "line\nbreak");
        assert!(line.get("span").is_none(), "no span outside one");
    }

    #[test]
    fn fields_recorded_later_join_the_span() {
        let lines = lines(|| {
            let span = tracing::info_span!("job", id = 7u64, step = tracing::field::Empty);
            span.record("step", "second");
            let empty = tracing::info_span!("bare");
            let _outer = span.enter();
            tracing::info!("in job");
            let _inner = empty.enter();
            tracing::error!(
                error = &io::Error::other("disk full") as &dyn std::error::Error,
                "in bare"
            );
        });
        assert_eq!(lines[0]["span"]["id"], 7);
        assert_eq!(lines[0]["span"]["step"], "second");
        assert_eq!(lines[1]["span"], serde_json::json!({"name": "bare"}));
        assert_eq!(lines[1]["fields"]["error"], "disk full");
        assert_eq!(lines[1]["level"], "ERROR");
    }
}
