//! A TCP proxy the test can switch off and on: a broker outage on demand, without
//! touching the real broker (other tests keep using it).

use std::{
    io,
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread::JoinHandle,
    time::Duration,
};

/// Forwards connections on `127.0.0.1:<port>` to an upstream address while on.
/// Off, it closes every connection it forwards and every new one right after
/// accepting it (a client sees its connection reset, as when a broker goes down).
/// Stops (and closes everything) when dropped.
#[derive(Debug)]
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    on: AtomicBool,
    closing: AtomicBool,
    /// Both ends of every forwarded connection, to cut them when switched off.
    open: Mutex<Vec<TcpStream>>,
}

impl Proxy {
    /// A proxy to `upstream`, listening on a free port, `on` or off.
    pub fn start(upstream: SocketAddr, on: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the proxy");
        let port = listener.local_addr().expect("the proxy's address").port();
        let shared = Arc::new(Shared {
            upstream,
            on: AtomicBool::new(on),
            closing: AtomicBool::new(false),
            open: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let shared = shared.clone();
            std::thread::spawn(move || accept(&listener, &shared))
        };
        Self {
            port,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts forwarding again.
    pub fn switch_on(&self) {
        self.shared.on.store(true, Ordering::SeqCst);
    }

    /// Cuts every forwarded connection and refuses new ones.
    pub fn switch_off(&self) {
        self.shared.on.store(false, Ordering::SeqCst);
        self.shared.cut();
    }
}

impl Shared {
    fn cut(&self) {
        let open = std::mem::take(&mut *self.open.lock().unwrap_or_else(|e| e.into_inner()));
        for stream in open {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Remembers `stream` so that switching off can cut it.
    fn track(&self, stream: &TcpStream) -> io::Result<()> {
        let clone = stream.try_clone()?;
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(clone);
        Ok(())
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.closing.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        if !shared.on.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let Ok(upstream) = TcpStream::connect_timeout(&shared.upstream, Duration::from_secs(2))
        else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        if forward(shared, client, upstream).is_err() {
            continue;
        }
        // Switched off while this connection was being set up: cut it too.
        if !shared.on.load(Ordering::SeqCst) {
            shared.cut();
        }
    }
}

/// Pumps bytes both ways on two threads; either side closing closes both.
fn forward(shared: &Shared, client: TcpStream, upstream: TcpStream) -> io::Result<()> {
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    shared.track(&client)?;
    shared.track(&upstream)?;
    let pump = |mut from: TcpStream, mut to: TcpStream| {
        move || {
            let _ = io::copy(&mut from, &mut to);
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
        }
    };
    std::thread::spawn(pump(client.try_clone()?, upstream.try_clone()?));
    std::thread::spawn(pump(upstream, client));
    Ok(())
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::SeqCst);
        self.switch_off();
        // Wake the acceptor so it sees `closing`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}
