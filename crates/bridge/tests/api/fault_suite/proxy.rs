//! A TCP forwarder in front of a server that can be switched off: while it is down its port
//! refuses connections (the listener is closed) and open connections are cut, as when a
//! server process stops; switched on again it listens on the same port.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A forwarder to one address.
pub struct Proxy {
    addr: SocketAddr,
    target: Arc<OnceLock<SocketAddr>>,
    up: Arc<watch::Sender<bool>>,
}

impl Proxy {
    /// Starts listening on a free loopback port; [`Proxy::forward_to`] says where to.
    pub async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (up, _) = watch::channel(true);
        let proxy = Proxy {
            addr,
            target: Arc::new(OnceLock::new()),
            up: Arc::new(up),
        };
        proxy.serve(listener);
        proxy
    }

    /// Forwards every connection to `target` from now on.
    pub fn forward_to(&self, target: SocketAddr) {
        let _ = self.target.set(target);
    }

    /// `http://127.0.0.1:port` of the forwarder.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes the port and cuts every open connection.
    pub fn down(&self) {
        self.up.send_replace(false);
    }

    /// Listens again on the same port.
    pub async fn up(&self) {
        if *self.up.borrow() {
            return;
        }
        self.up.send_replace(true);
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        };
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let target = self.target.clone();
        let mut up = self.up.subscribe();
        let switch = self.up.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((client, _)) = accepted else { continue };
                        let mut cut = switch.subscribe();
                        let Some(&to) = target.get() else { continue };
                        tokio::spawn(async move {
                            let Ok(server) = TcpStream::connect(to).await else { return };
                            let (mut client, mut server) = (client, server);
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                _ = cut.wait_for(|on| !on) => {}
                            }
                        });
                    }
                    _ = up.wait_for(|on| !on) => break,
                }
            }
        });
    }
}
