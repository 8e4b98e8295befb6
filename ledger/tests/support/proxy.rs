//! A fault-injecting TCP proxy between counters and the ledger. Each connection it accepts gets one
//! fate, drawn at random while faults are on:
//! - pass: bytes copied both ways;
//! - drop: closed at once, nothing forwarded;
//! - delay: passed after a pause (up to 150 ms);
//! - reset: part of the request forwarded, then both sides closed (the ledger sees a cut request);
//! - lose the response: the request is forwarded whole, the ledger answers, the answer is thrown
//!   away and the counter's connection closed (the counter must resend; the ledger must answer
//!   "duplicate");
//! - duplicate: the request is also sent, byte for byte, on a second connection to the ledger at
//!   the same time (two copies race through the ledger; the counter sees one answer).
//!
//! The target can be switched (the ledger restarted on another port).

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use rand::{Rng, SeedableRng, rngs::StdRng};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

#[derive(Debug, Default)]
pub struct Counts {
    pub passed: AtomicU64,
    pub dropped: AtomicU64,
    pub delayed: AtomicU64,
    pub reset: AtomicU64,
    pub lost_response: AtomicU64,
    pub duplicated: AtomicU64,
}

#[derive(Debug, Clone)]
pub struct Proxy {
    pub addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    faults: Arc<AtomicBool>,
    pub counts: Arc<Counts>,
}

#[derive(Debug, Clone, Copy)]
enum Fate {
    Pass,
    Drop,
    Delay(u64),
    Reset,
    LoseResponse,
    Duplicate,
}

impl Proxy {
    pub async fn start(target: SocketAddr, seed: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            addr: listener.local_addr().unwrap(),
            target: Arc::new(Mutex::new(target)),
            faults: Arc::new(AtomicBool::new(false)),
            counts: Arc::new(Counts::default()),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed);
            while let Ok((client, _)) = listener.accept().await {
                let fate = if p.faults.load(Ordering::SeqCst) {
                    match rng.gen_range(0..100) {
                        0..=39 => Fate::Pass,
                        40..=49 => Fate::Drop,
                        50..=64 => Fate::Delay(rng.gen_range(1..150)),
                        65..=74 => Fate::Reset,
                        75..=89 => Fate::LoseResponse,
                        _ => Fate::Duplicate,
                    }
                } else {
                    Fate::Pass
                };
                let target = *p.target.lock().unwrap();
                tokio::spawn(handle(client, target, fate, p.counts.clone()));
            }
        });
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn faults(&self, on: bool) {
        self.faults.store(on, Ordering::SeqCst);
    }

    pub fn retarget(&self, target: SocketAddr) {
        *self.target.lock().unwrap() = target;
    }
}

async fn handle(mut client: TcpStream, target: SocketAddr, fate: Fate, counts: Arc<Counts>) {
    let count = |c: &AtomicU64| {
        c.fetch_add(1, Ordering::Relaxed);
    };
    match fate {
        Fate::Drop => {
            count(&counts.dropped);
        }
        Fate::Pass | Fate::Delay(_) => {
            if let Fate::Delay(ms) = fate {
                count(&counts.delayed);
                tokio::time::sleep(Duration::from_millis(ms)).await;
            } else {
                count(&counts.passed);
            }
            let Ok(mut upstream) = TcpStream::connect(target).await else { return };
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        }
        Fate::Reset => {
            count(&counts.reset);
            let Ok(mut upstream) = TcpStream::connect(target).await else { return };
            let mut buf = vec![0u8; 64 * 1024];
            if let Ok(n) = client.read(&mut buf).await {
                let _ = upstream.write_all(&buf[..n / 2]).await;
            }
        }
        Fate::LoseResponse => {
            count(&counts.lost_response);
            let Ok(upstream) = TcpStream::connect(target).await else { return };
            let (mut up_read, mut up_write) = upstream.into_split();
            let (mut client_read, _client_write) = client.into_split();
            // Forward the request; wait for the first bytes of the answer, then hang up on the counter.
            let forward = tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_read, &mut up_write).await;
            });
            let mut buf = [0u8; 1024];
            let _ = up_read.read(&mut buf).await;
            forward.abort();
        }
        Fate::Duplicate => {
            count(&counts.duplicated);
            let (Ok(mut first), Ok(mut second)) = (TcpStream::connect(target).await, TcpStream::connect(target).await)
            else {
                return;
            };
            // Read what the counter sends (one request), send it on both connections, relay one answer.
            let mut buf = vec![0u8; 256 * 1024];
            let mut request = Vec::new();
            loop {
                match tokio::time::timeout(Duration::from_millis(100), client.read(&mut buf)).await {
                    Ok(Ok(0)) | Err(_) => break,
                    Ok(Ok(n)) => request.extend_from_slice(&buf[..n]),
                    Ok(Err(_)) => return,
                }
            }
            // Ask the ledger to close after answering, so the one relayed answer ends the connection.
            if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                request.splice(end..end, b"\r\nconnection: close".iter().copied());
            }
            let _ = second.write_all(&request).await;
            let _ = first.write_all(&request).await;
            let relay = async {
                let mut answer = vec![0u8; 256 * 1024];
                while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(2000), first.read(&mut answer)).await {
                    if n == 0 || client.write_all(&answer[..n]).await.is_err() {
                        break;
                    }
                }
            };
            let drain = async {
                let mut sink = vec![0u8; 64 * 1024];
                while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(2000), second.read(&mut sink)).await {
                    if n == 0 {
                        break;
                    }
                }
            };
            tokio::join!(relay, drain);
        }
    }
}
