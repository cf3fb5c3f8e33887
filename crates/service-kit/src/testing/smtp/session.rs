//! One SMTP connection of the test server.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::State;

const MAX_LINE: u64 = 64 * 1024;
const MAX_DATA: usize = 10 * 1024 * 1024;
const IDLE: Duration = Duration::from_secs(60);

/// Envelope of the transaction in progress.
#[derive(Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

pub(super) async fn serve(stream: TcpStream, state: Arc<State>) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "test smtp: set_nodelay failed");
    }
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    if let Err(e) = session(&mut reader, &mut write, &state).await {
        tracing::debug!(error = %e, "test smtp: connection ended");
    }
}

async fn session<R, W>(reader: &mut BufReader<R>, w: &mut W, state: &State) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    reply(w, "220 localhost ESMTP ca-mail test server").await?;
    let mut env = Envelope::default();
    loop {
        let Some(line) = read_line(reader).await? else {
            return Ok(());
        };
        let line = String::from_utf8_lossy(&line);
        let (verb, arg) = line.split_once(' ').unwrap_or((&line, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                env = Envelope::default();
                reply(w, "250-localhost greets you\r\n250 8BITMIME").await?;
            }
            "HELO" => {
                env = Envelope::default();
                reply(w, "250 localhost").await?;
            }
            "MAIL" => match path_arg(arg, "FROM:") {
                Some(from) => {
                    env = Envelope {
                        from: Some(from),
                        to: Vec::new(),
                    };
                    reply(w, "250 2.1.0 OK").await?;
                }
                None => reply(w, "501 5.5.4 Syntax: MAIL FROM:<address>").await?,
            },
            "RCPT" => match (env.from.is_some(), path_arg(arg, "TO:")) {
                (false, _) => reply(w, "503 5.5.1 MAIL first").await?,
                (true, None) => reply(w, "501 5.5.4 Syntax: RCPT TO:<address>").await?,
                (true, Some(to)) => {
                    env.to.push(to);
                    reply(w, "250 2.1.5 OK").await?;
                }
            },
            "DATA" => {
                if env.to.is_empty() {
                    reply(w, "503 5.5.1 RCPT first").await?;
                    continue;
                }
                reply(w, "354 End data with <CR><LF>.<CR><LF>").await?;
                let Some(data) = read_data(reader).await? else {
                    reply(w, "552 5.3.4 Message too big").await?;
                    env = Envelope::default();
                    continue;
                };
                let env = std::mem::take(&mut env);
                let answer = state.finish_data(env.from.unwrap_or_default(), env.to, &data);
                reply(w, &answer).await?;
            }
            "RSET" => {
                env = Envelope::default();
                reply(w, "250 2.0.0 OK").await?;
            }
            "NOOP" => reply(w, "250 2.0.0 OK").await?,
            "VRFY" => reply(w, "252 2.5.2 Cannot VRFY user").await?,
            "QUIT" => {
                reply(w, "221 2.0.0 Bye").await?;
                return Ok(());
            }
            _ => reply(w, "502 5.5.2 Command not implemented").await?,
        }
    }
}

/// One write per reply: split writes plus Nagle and delayed ACKs cost ~40 ms each.
async fn reply<W: AsyncWrite + Unpin>(w: &mut W, text: &str) -> std::io::Result<()> {
    w.write_all(format!("{text}\r\n").as_bytes()).await?;
    w.flush().await
}

/// Next line without its CRLF/LF; `None` at EOF. Errors on overlong lines and
/// idle timeout.
async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        IDLE,
        (&mut *reader).take(MAX_LINE).read_until(b'\n', &mut buf),
    )
    .await
    .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle timeout"))??;
    if read == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "line too long or truncated",
        ));
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(buf))
}

/// Reads DATA up to the lone `.` line, undoing dot-stuffing. Lines are
/// re-joined with CRLF. `None` when the message exceeds `MAX_DATA` (the rest
/// is still consumed).
async fn read_data<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut too_big = false;
    loop {
        let line = read_line(reader)
            .await?
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "EOF in DATA"))?;
        if line == b"." {
            return Ok((!too_big).then_some(data));
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        too_big |= data.len() + line.len() + 2 > MAX_DATA;
        if !too_big {
            data.extend_from_slice(line);
            data.extend_from_slice(b"\r\n");
        }
    }
}

/// `FROM:<a@b> BODY=8BITMIME` → `a@b` (also accepts `FROM: <a@b>`, no brackets,
/// and the null path `<>` as an empty string).
fn path_arg(arg: &str, keyword: &str) -> Option<String> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let path = match rest.strip_prefix('<') {
        Some(inner) => &inner[..inner.find('>')?],
        None => rest.split_whitespace().next()?,
    };
    Some(path.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths() {
        assert_eq!(
            path_arg("FROM:<a@b.c> BODY=8BITMIME", "FROM:").as_deref(),
            Some("a@b.c")
        );
        assert_eq!(path_arg("to: <x@y>", "TO:").as_deref(), Some("x@y"));
        assert_eq!(path_arg("FROM:<>", "FROM:").as_deref(), Some(""));
        assert_eq!(path_arg("TO:x@y", "TO:").as_deref(), Some("x@y"));
        assert_eq!(path_arg("FROM:<broken", "FROM:"), None);
        assert_eq!(path_arg("XX", "FROM:"), None);
    }

    #[tokio::test]
    async fn data_is_dot_unstuffed_until_terminator() {
        let input: &[u8] = b"Subject: x\r\n\r\n..leading dot\r\n.\r\nNOOP\r\n";
        let mut reader = BufReader::new(input);
        let data = read_data(&mut reader).await.unwrap().unwrap();
        assert_eq!(data, b"Subject: x\r\n\r\n.leading dot\r\n");
        assert_eq!(read_line(&mut reader).await.unwrap().unwrap(), b"NOOP");
    }
}
