//! Log lines written while a request is served end with its id
//! (`request_id=…`, or a `request_id` member in JSON), read from the
//! request's task-local when a line is written. A span per request would
//! say the same, but creating, entering and closing one on every request
//! cost a busy server a noticeable share of its throughput, for lines that
//! are rarely written.

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats each event as `inner` does and appends the id of the request
/// being served, if any (events that name a `request_id` field themselves,
/// such as guest output, are left as they are).
pub struct WithRequestId<F> {
    inner: F,
    json: bool,
}

impl<F> WithRequestId<F> {
    /// Wraps a human-readable `inner` format.
    pub fn text(inner: F) -> Self {
        Self { inner, json: false }
    }

    /// Wraps a JSON `inner` format (one object per line).
    pub fn json(inner: F) -> Self {
        Self { inner, json: true }
    }
}

impl<S, N, F> FormatEvent<S, N> for WithRequestId<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let id = crate::error::current_request_id()
            .filter(|_| event.metadata().fields().field("request_id").is_none());
        let Some(id) = id else {
            return self.inner.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        let body = line.trim_end_matches('\n');
        if !self.json {
            return writeln!(writer, "{body} request_id={id}");
        }
        let Some(open) = body.strip_suffix('}') else {
            return writer.write_str(&line);
        };
        let id = serde_json::to_string(&id).map_err(|_| fmt::Error)?;
        let comma = if open.ends_with('{') { "" } else { "," };
        writeln!(writer, "{open}{comma}\"request_id\":{id}}}")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::WithRequestId;
    use crate::error::REQUEST_ID;

    /// Lines written through `layer` while `f` runs, as one string.
    fn lines(json: bool, f: impl FnOnce()) -> String {
        let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = buffer.clone();
        let writer = move || Capture(sink.clone());
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(false);
        let lines = tracing_subscriber::fmt::format().with_ansi(false);
        let subscriber: Box<dyn tracing::Subscriber + Send + Sync> = if json {
            use tracing_subscriber::layer::SubscriberExt as _;
            Box::new(
                tracing_subscriber::registry().with(
                    layer
                        .json()
                        .event_format(WithRequestId::json(lines.json().flatten_event(true))),
                ),
            )
        } else {
            use tracing_subscriber::layer::SubscriberExt as _;
            Box::new(
                tracing_subscriber::registry().with(layer.event_format(WithRequestId::text(lines))),
            )
        };
        tracing::subscriber::with_default(subscriber, f);
        String::from_utf8(buffer.lock().unwrap().clone()).unwrap()
    }

    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_written_while_serving_a_request_ends_with_its_id() {
        let text = lines(false, || {
            REQUEST_ID.sync_scope("req-1".into(), || tracing::warn!(n = 3, "slow upstream"));
            tracing::warn!("outside");
        });
        let text: Vec<&str> = text.lines().collect();
        assert!(
            text[0].ends_with("slow upstream n=3 request_id=req-1"),
            "{text:?}"
        );
        assert!(text[1].ends_with("outside"), "{text:?}");
    }

    #[test]
    fn a_json_line_written_while_serving_a_request_has_a_request_id_member() {
        let json = lines(true, || {
            REQUEST_ID.sync_scope("req-\"2\"".into(), || tracing::warn!("slow upstream"));
            REQUEST_ID.sync_scope("req-3".into(), || {
                tracing::info!(request_id = "own", "guest output");
            });
        });
        let values: Vec<serde_json::Value> = json
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(values[0]["request_id"], "req-\"2\"");
        assert_eq!(values[0]["message"], "slow upstream");
        assert_eq!(values[1]["request_id"], "own");
    }
}
