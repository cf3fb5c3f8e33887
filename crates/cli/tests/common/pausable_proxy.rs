//! A TCP proxy in front of PostgreSQL that a test can take down and bring
//! back, standing in for a database outage without touching the machine's
//! shared server (other tests use it at the same time).
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct PausableProxy {
    /// Where clients connect: the same port across stops and starts.
    pub addr: SocketAddr,
    upstream: SocketAddr,
    accept: Mutex<Option<JoinHandle<()>>>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl PausableProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let proxy = Self {
            addr,
            upstream,
            accept: Mutex::new(None),
            links: Arc::new(Mutex::new(Vec::new())),
        };
        proxy.serve(listener);
        proxy
    }

    /// The database goes away: every proxied connection is closed and new
    /// ones are refused (nothing listens on the port).
    pub fn stop(&self) {
        if let Some(accept) = self.accept.lock().expect("lock").take() {
            accept.abort();
        }
        for link in self.links.lock().expect("lock").drain(..) {
            link.abort();
        }
    }

    /// The database is back, on the same address.
    pub async fn resume(&self) {
        // The aborted accept task drops its listener as it ends; the port
        // may take a moment to be free again.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if std::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", self.addr),
            }
        };
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let upstream = self.upstream;
        let links = self.links.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                let mut links = links.lock().expect("lock");
                links.retain(|l| !l.is_finished());
                links.push(link);
            }
        });
        *self.accept.lock().expect("lock") = Some(accept);
    }
}

impl Drop for PausableProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `url` (a postgres:// URL) with its host and port replaced by `addr`.
pub fn through(url: &str, addr: SocketAddr) -> String {
    let mut parsed = url::Url::parse(url).expect("a database URL");
    parsed.set_host(Some(&addr.ip().to_string())).expect("host");
    parsed.set_port(Some(addr.port())).expect("port");
    parsed.to_string()
}

/// The host and port of a postgres:// URL.
pub fn upstream_of(url: &str) -> SocketAddr {
    let parsed = url::Url::parse(url).expect("a database URL");
    let host = parsed.host_str().expect("a host");
    let port = parsed.port().unwrap_or(5432);
    std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .expect("resolves")
        .next()
        .expect("an address")
}
