//! A tiny web site on 127.0.0.1 for the web tests: pages, feeds, redirects, errors, a server
//! that never answers, an endless body. Plain threads and HTTP/1.1 written by hand, so that
//! the tests need no network and no server crate; routes can change while it runs (a feed
//! gaining items).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a path answers.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A status, a `Content-Type`, a body.
    Body {
        status: u16,
        content_type: String,
        body: Vec<u8>,
        /// Send no `Content-Length` (the body ends when the connection closes).
        no_length: bool,
    },
    /// A redirect (302) to a path or address.
    Redirect(String),
    /// Accept and never answer.
    Hang,
    /// A gzip-compressed HTML body, sent with `Content-Encoding: gzip`.
    Gzip(Vec<u8>),
}

impl Reply {
    /// `200` with a body.
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Body {
            status: 200,
            content_type: content_type.to_string(),
            body: body.into(),
            no_length: false,
        }
    }

    /// An HTML page in UTF-8.
    pub fn html(body: &str) -> Reply {
        Reply::ok("text/html; charset=utf-8", body.as_bytes())
    }
}

/// The site.
pub struct Site {
    pub port: u16,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<Mutex<Vec<String>>>,
    agents: Arc<Mutex<Vec<String>>>,
}

impl Site {
    /// Starts serving (until the test process ends).
    pub fn start() -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let agents: Arc<Mutex<Vec<String>>> = Arc::default();
        let (r, h, a) = (routes.clone(), hits.clone(), agents.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (r, h, a) = (r.clone(), h.clone(), a.clone());
                std::thread::spawn(move || serve(stream, &r, &h, &a));
            }
        });
        Site {
            port,
            routes,
            hits,
            agents,
        }
    }

    /// The `User-Agent` of every request, in order.
    pub fn agents(&self) -> Vec<String> {
        self.agents.lock().unwrap().clone()
    }

    /// `http://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sets what `path` answers.
    pub fn route(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
    }

    /// The paths asked for, in order.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

fn serve(
    mut stream: TcpStream,
    routes: &Mutex<HashMap<String, Reply>>,
    hits: &Mutex<Vec<String>>,
    agents: &Mutex<Vec<String>>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    hits.lock().unwrap().push(path.clone());
    let agent = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("user-agent")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    agents.lock().unwrap().push(agent);
    let reply = routes.lock().unwrap().get(&path).cloned();
    let reply = reply.unwrap_or(Reply::Body {
        status: 404,
        content_type: "text/html".into(),
        body: b"<h1>Not found</h1>".to_vec(),
        no_length: false,
    });
    match reply {
        Reply::Hang => std::thread::sleep(Duration::from_secs(120)),
        Reply::Gzip(body) => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
        Reply::Redirect(to) => {
            let _ = write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        Reply::Body {
            status,
            content_type,
            body,
            no_length,
        } => {
            let reason = match status {
                200 => "OK",
                404 => "Not Found",
                500 => "Internal Server Error",
                _ => "Whatever",
            };
            let length = if no_length {
                String::new()
            } else {
                format!("Content-Length: {}\r\n", body.len())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n{length}Connection: close\r\n\r\n"
            );
            let _ = stream.write_all(&body);
        }
    }
}

/// A page of the development set, as bytes.
pub fn page(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pages/own")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
