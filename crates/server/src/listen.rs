//! Accepting connections: plain HTTP/1.1, or HTTPS when the server has a certificate. One task per
//! connection; a TLS handshake that does not finish within `HANDSHAKE` is dropped (a client that opens
//! connections and sends nothing holds no task for long). Each request learns its TCP peer
//! (`ConnectInfo`), which the guess guard keys on. On shutdown the listener stops accepting and open
//! connections finish their requests.

use axum::extract::connect_info::ConnectInfo;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// Longest a TLS handshake may take.
const HANDSHAKE: Duration = Duration::from_secs(15);
/// Most headers the HTTP layer parses (the API answers more than `api::MAX_HEADERS` with its own 431).
const PARSED_HEADERS: usize = 200;

/// Serves `app` on `listener` until `shutdown` resolves; over TLS when `tls` is given.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (app, acceptor, mut stop) = (app.clone(), acceptor.clone(), stop_rx.clone());
        tasks.spawn(async move {
            let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
            let mut http = hyper::server::conn::http1::Builder::new();
            http.max_headers(PARSED_HEADERS).timer(hyper_util::rt::TokioTimer::new());
            match acceptor {
                None => {
                    let conn = http.serve_connection(TokioIo::new(stream), service);
                    drive(conn, &mut stop).await;
                }
                Some(acceptor) => {
                    let tls = match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::debug!("TLS handshake with {peer} failed: {e}");
                            return;
                        }
                        Err(_) => return,
                    };
                    let conn = http.serve_connection(TokioIo::new(tls), service);
                    drive(conn, &mut stop).await;
                }
            }
        });
        // Forget finished connections as we go.
        while tasks.try_join_next().is_some() {}
    }
    let _ = stop_tx.send(true);
    // Open connections finish their requests (a little while at most).
    let _ = tokio::time::timeout(Duration::from_secs(10), async { while tasks.join_next().await.is_some() {} }).await;
    Ok(())
}

/// Runs a connection until it ends, or until shutdown, when it finishes the request in hand and closes.
async fn drive<C>(conn: C, stop: &mut tokio::sync::watch::Receiver<bool>)
where
    C: std::future::Future<Output = hyper::Result<()>> + GracefulConn,
{
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => { let _ = r; }
        _ = stop.changed() => {
            conn.as_mut().graceful();
            let _ = conn.await;
        }
    }
}

/// A connection that can be asked to close after the request in hand.
trait GracefulConn {
    fn graceful(self: std::pin::Pin<&mut Self>);
}

impl<I, S> GracefulConn for hyper::server::conn::http1::Connection<I, S>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S: hyper::service::HttpService<hyper::body::Incoming>,
    S::ResBody: hyper::body::Body + 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn graceful(self: std::pin::Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// Whether plain HTTP on this address keeps traffic on this machine.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
