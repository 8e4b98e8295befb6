//! 失败限流: failed enrolments and failed terminal-token uses, counted per client address.
//!
//! Rule: an address may fail [`MAX_FAILURES`] times in a [`WINDOW`] (10 in a minute; the ledger's
//! `max_failures_per_minute`, 0 for no limit), counted from its first failure; after that every enrolment or token-checked request from it is answered 429 with
//! `Retry-After` (the seconds until the window ends) before anything else is done: the database is
//! not touched, so guessing codes or tokens costs the ledger nothing and the guesser a minute per 10
//! tries. The window then starts again at the next failure. A success does not reset the count (a
//! guesser holding one valid token could otherwise clear it). IPv6 addresses count per /64, the
//! block one customer line usually gets, so changing the host part of an address does not help.
//!
//! The limiter is pure ([`Limiter::check`] and [`Limiter::failed`] take `now`) and in memory: one
//! ledger process, reset when it restarts. Entries whose window has ended are dropped once the map
//! holds [`PRUNE_ABOVE`] addresses, so it holds at most the addresses that failed within a minute.
//!
//! Behind a reverse proxy every request arrives from the proxy's address. The proxies named in
//! `trusted_proxies` are believed about the client they forward for ([`client_address`]): the
//! address counted is the nearest one in `X-Forwarded-For` that is not itself a trusted proxy.
//! Anyone else's `X-Forwarded-For` is ignored (a client could otherwise name a new address with
//! each guess).
//!
//! A limiter of our own rather than a crate: what is counted is a failure, known only once a request
//! has run, while the refusal must come before the next one runs; request-rate limiters (tower's
//! `RateLimit` layer and the like) count requests as they arrive. The rule fits in a few lines that a
//! table of cases tests.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failures an address may have in one window, unless configured otherwise.
pub const MAX_FAILURES: u32 = 10;
/// The window, counted from an address's first failure.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Map size above which ended windows are dropped.
pub const PRUNE_ABOVE: usize = 10_000;

/// Failures by client address (see the module docs).
#[derive(Debug)]
pub struct Limiter {
    /// Failures allowed in a window; 0: no limit.
    max: u32,
    windows: HashMap<IpAddr, (Instant, u32)>,
}

impl Default for Limiter {
    fn default() -> Limiter {
        Limiter::new(MAX_FAILURES)
    }
}

/// The key an address counts under: itself (IPv4), its /64 (IPv6; an IPv4-mapped address as IPv4).
fn key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
    }
}

impl Limiter {
    /// A limiter allowing `max` failures a window (0: none is ever refused).
    pub fn new(max: u32) -> Limiter {
        Limiter { max, windows: HashMap::new() }
    }

    /// Whether `addr` may try now; when not, how long until it may (at least a second).
    pub fn check(&self, addr: IpAddr, now: Instant) -> Result<(), Duration> {
        match self.windows.get(&key(addr)) {
            Some((start, n)) if self.max > 0 && *n >= self.max => {
                let end = *start + WINDOW;
                if now < end { Err((end - now).max(Duration::from_secs(1))) } else { Ok(()) }
            }
            _ => Ok(()),
        }
    }

    /// Count a failure of `addr` at `now`.
    pub fn failed(&mut self, addr: IpAddr, now: Instant) {
        if self.max == 0 {
            return;
        }
        if self.windows.len() >= PRUNE_ABOVE {
            self.windows.retain(|_, (start, _)| now < *start + WINDOW);
        }
        let w = self.windows.entry(key(addr)).or_insert((now, 0));
        if now >= w.0 + WINDOW {
            *w = (now, 0);
        }
        w.1 = w.1.saturating_add(1);
    }

    /// How many addresses it holds.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

/// The limiter a server's handlers share.
#[derive(Debug, Clone, Default)]
pub struct Throttle(Arc<Mutex<Limiter>>);

impl Throttle {
    /// A throttle allowing `max` failures a minute per address (0: no limit).
    pub fn new(max: u32) -> Throttle {
        Throttle(Arc::new(Mutex::new(Limiter::new(max))))
    }

    fn with<T>(&self, f: impl FnOnce(&mut Limiter) -> T) -> T {
        // A panic while holding the lock leaves counts, not a broken invariant: go on with them.
        let mut guard = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// See [`Limiter::check`], at the current time.
    pub fn check(&self, addr: IpAddr) -> Result<(), Duration> {
        self.with(|l| l.check(addr, Instant::now()))
    }

    /// See [`Limiter::failed`], at the current time.
    pub fn failed(&self, addr: IpAddr) {
        self.with(|l| l.failed(addr, Instant::now()));
    }
}

/// The address a request is counted against: `peer` (the TCP peer) unless it is one of the
/// `trusted` proxies, in which case the `X-Forwarded-For` list (`forwarded_for`, nearest last) is
/// read from the right, skipping trusted proxies, to the first address that is not one. A list
/// that cannot be read, or that holds only trusted proxies, counts the peer.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    let canonical = |a: IpAddr| a.to_canonical();
    if !trusted.contains(&canonical(peer)) {
        return peer;
    }
    let Some(list) = forwarded_for else { return peer };
    for hop in list.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(a) if trusted.contains(&canonical(a)) => continue,
            Ok(a) => return canonical(a),
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    #[rstest::rstest]
    #[case::no_proxy_trusted("203.0.113.7", Some("198.51.100.1"), &[], "203.0.113.7")]
    #[case::an_untrusted_peer_naming_another("203.0.113.7", Some("198.51.100.1"), &["127.0.0.1"], "203.0.113.7")]
    #[case::through_the_proxy("127.0.0.1", Some("198.51.100.1"), &["127.0.0.1"], "198.51.100.1")]
    #[case::a_client_prepending_a_lie("127.0.0.1", Some("192.0.2.99, 198.51.100.1"), &["127.0.0.1"], "198.51.100.1")]
    #[case::two_trusted_proxies("10.0.0.2", Some("198.51.100.1, 10.0.0.1"), &["10.0.0.1", "10.0.0.2"], "198.51.100.1")]
    #[case::no_header("127.0.0.1", None, &["127.0.0.1"], "127.0.0.1")]
    #[case::garbage("127.0.0.1", Some("not-an-address"), &["127.0.0.1"], "127.0.0.1")]
    #[case::only_proxies("127.0.0.1", Some("127.0.0.1"), &["127.0.0.1"], "127.0.0.1")]
    #[case::ipv6("::1", Some("2001:db8::5"), &["::1"], "2001:db8::5")]
    #[case::mapped_ipv4_peer("::ffff:127.0.0.1", Some("198.51.100.1"), &["127.0.0.1"], "198.51.100.1")]
    fn the_client_behind_a_trusted_proxy(
        #[case] peer: &str,
        #[case] forwarded: Option<&str>,
        #[case] trusted: &[&str],
        #[case] counted: &str,
    ) {
        let trusted: Vec<IpAddr> = trusted.iter().map(|a| a.parse().unwrap()).collect();
        assert_eq!(client_address(peer.parse().unwrap(), forwarded, &trusted), counted.parse::<IpAddr>().unwrap());
    }

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// `n` failures of `addr` starting at `t0`, one a second.
    fn fail(l: &mut Limiter, addr: &str, t0: Instant, n: u32) {
        for i in 0..n {
            l.failed(ip(addr), t0 + Duration::from_secs(u64::from(i)));
        }
    }

    #[test]
    fn ten_failures_a_minute_then_refused_until_the_window_ends() {
        let t0 = Instant::now();
        let mut l = Limiter::default();
        fail(&mut l, "10.0.0.1", t0, 9);
        assert_eq!(l.check(ip("10.0.0.1"), t0 + Duration::from_secs(9)), Ok(()), "nine failures pass");
        l.failed(ip("10.0.0.1"), t0 + Duration::from_secs(9));
        assert_eq!(
            l.check(ip("10.0.0.1"), t0 + Duration::from_secs(10)),
            Err(Duration::from_secs(50)),
            "the tenth closes the address until a minute after its first failure"
        );
        assert_eq!(l.check(ip("10.0.0.2"), t0 + Duration::from_secs(10)), Ok(()), "other addresses are not affected");
        assert_eq!(
            l.check(ip("10.0.0.1"), t0 + Duration::from_millis(59_900)),
            Err(Duration::from_secs(1)),
            "at least 1 s"
        );
        assert_eq!(l.check(ip("10.0.0.1"), t0 + WINDOW), Ok(()), "open again when the window ends");
        l.failed(ip("10.0.0.1"), t0 + WINDOW);
        assert_eq!(l.check(ip("10.0.0.1"), t0 + WINDOW), Ok(()), "a new window: one failure");
    }

    #[test]
    fn failures_spread_over_more_than_a_minute_never_close_an_address() {
        let t0 = Instant::now();
        let mut l = Limiter::default();
        for i in 0..30u64 {
            let at = t0 + Duration::from_secs(i * 7);
            assert_eq!(l.check(ip("10.0.0.1"), at), Ok(()), "failure {i}");
            l.failed(ip("10.0.0.1"), at);
        }
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let t0 = Instant::now();
        let mut l = Limiter::default();
        for i in 0..10u32 {
            l.failed(ip(&format!("2001:db8:1:2::{:x}", i + 1)), t0);
        }
        assert!(l.check(ip("2001:db8:1:2:ffff::1"), t0).is_err(), "the same /64");
        assert_eq!(l.check(ip("2001:db8:1:3::1"), t0), Ok(()), "another /64");
        fail(&mut l, "::ffff:192.0.2.7", t0, 10);
        assert!(l.check(ip("192.0.2.7"), t0 + Duration::from_secs(10)).is_err());
    }

    #[test]
    fn a_limit_of_0_never_refuses() {
        let t0 = Instant::now();
        let mut l = Limiter::new(0);
        fail(&mut l, "10.0.0.1", t0, 100);
        assert_eq!(l.check(ip("10.0.0.1"), t0), Ok(()));
        assert!(l.is_empty(), "nothing is counted");
        let mut l = Limiter::new(3);
        fail(&mut l, "10.0.0.1", t0, 3);
        assert!(l.check(ip("10.0.0.1"), t0 + Duration::from_secs(3)).is_err(), "a configured limit");
    }

    #[test]
    fn ended_windows_are_dropped_when_the_map_is_large() {
        let t0 = Instant::now();
        let mut l = Limiter::default();
        for i in 0..PRUNE_ABOVE as u32 {
            l.failed(IpAddr::V4(i.into()), t0);
        }
        assert_eq!(l.len(), PRUNE_ABOVE);
        l.failed(ip("10.9.9.9"), t0 + WINDOW);
        assert_eq!(l.len(), 1, "only the address that failed within the last minute stays");
    }
}
