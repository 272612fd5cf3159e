//! p2p-demo: a small peer-to-peer program with its own rendezvous, knowing nothing of vps-test.
//!
//!   p2p-demo serve  --port 7000                                   rendezvous + relay
//!   p2p-demo listen --name NAME --rendezvous IP:PORT [--serve-on NAME]
//!                                                                 the peer daemon (answers punches)
//!   p2p-demo connect PEER --name NAME --rendezvous IP:PORT [--timeout-ms N] [--broken-pair A:B]
//!                                                                 one connection attempt
//!                                                                 (--broken-pair: a bug on purpose)
//!
//! Wire protocol (UDP, text): REG name | LOOKUP peer | PEER name ip:port | PUNCH name ip:port |
//! HELLO name nonce | ACK name nonce | RELAY to payload | FROM from payload.
//! `connect` punches to the peer's address (the rendezvous tells the peer to punch back), accepts
//! the peer-reflexive address the answer comes from, and falls back to the relay.
use std::collections::HashMap;
use std::env;
use std::net::{SocketAddr, UdpSocket};
use std::process::exit;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1).cloned())
}

fn need(args: &[String], flag: &str) -> String {
    arg(args, flag).unwrap_or_else(|| {
        eprintln!("p2p-demo: missing {flag}");
        exit(2)
    })
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap_or_else(|_| {
        eprintln!("p2p-demo: not an address: {text}");
        exit(2)
    })
}

fn log(what: &str) {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    println!("[{}.{:03}] {what}", ms / 1000, ms % 1000);
}

fn recv(sock: &UdpSocket, buf: &mut [u8]) -> Option<(String, SocketAddr)> {
    match sock.recv_from(buf) {
        Ok((n, from)) => Some((String::from_utf8_lossy(&buf[..n]).to_string(), from)),
        Err(_) => None,
    }
}

/// Rendezvous and relay: remembers where each name's packets come from.
fn serve(port: u16) {
    let sock = UdpSocket::bind(("0.0.0.0", port)).unwrap_or_else(|e| {
        eprintln!("p2p-demo serve: cannot bind port {port}: {e}");
        exit(1)
    });
    log(&format!("rendezvous listening on port {port}"));
    let mut peers: HashMap<String, SocketAddr> = HashMap::new();
    let mut buf = [0u8; 1500];
    loop {
        let Some((msg, from)) = recv(&sock, &mut buf) else { continue };
        let parts: Vec<&str> = msg.splitn(3, ' ').collect();
        match parts.as_slice() {
            ["REG", name] => {
                peers.insert(name.to_string(), from);
            }
            ["LOOKUP", peer, me] => {
                peers.insert(me.to_string(), from);
                if let Some(target) = peers.get(*peer) {
                    let _ = sock.send_to(format!("PEER {peer} {target}").as_bytes(), from);
                    let _ = sock.send_to(format!("PUNCH {me} {from}").as_bytes(), target);
                }
            }
            ["RELAY", to, payload] => {
                let sender = peers.iter().find(|(_, a)| **a == from).map(|(n, _)| n.clone());
                if let (Some(sender), Some(target)) = (sender, peers.get(*to)) {
                    let _ = sock.send_to(format!("FROM {sender} {payload}").as_bytes(), target);
                }
            }
            _ => {}
        }
    }
}

/// The peer daemon: registers, punches back when asked, answers hellos and relayed pings.
fn listen(name: &str, rendezvous: SocketAddr) {
    let sock = UdpSocket::bind("0.0.0.0:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_millis(200))).ok();
    log(&format!("{name} listening, rendezvous {rendezvous}"));
    let mut last_reg = Instant::now() - Duration::from_secs(10);
    let mut buf = [0u8; 1500];
    loop {
        // re-register often: a NAT that forgot its mapping (the lab flushes them between trials,
        // real ones time them out) drops the rendezvous's PUNCH until the next registration
        if last_reg.elapsed() > Duration::from_millis(250) {
            let _ = sock.send_to(format!("REG {name}").as_bytes(), rendezvous);
            last_reg = Instant::now();
        }
        let Some((msg, from)) = recv(&sock, &mut buf) else { continue };
        let parts: Vec<&str> = msg.split(' ').collect();
        match parts.as_slice() {
            ["PUNCH", who, at] => {
                log(&format!("punching towards {who} at {at}"));
                // keep punching for a while, not one burst: the first packets may reach the other
                // NAT before the initiator's own first packet has opened it
                let target = addr(at);
                let (punch_sock, hello) = (sock.try_clone().expect("clone"), format!("HELLO {name} punch"));
                std::thread::spawn(move || {
                    for _ in 0..30 {
                        let _ = punch_sock.send_to(hello.as_bytes(), target);
                        std::thread::sleep(Duration::from_millis(50));
                    }
                });
            }
            ["HELLO", who, nonce] => {
                let _ = sock.send_to(format!("ACK {name} {nonce}").as_bytes(), from);
                log(&format!("hello from {who} at {from}"));
            }
            ["FROM", who, "PING", nonce] => {
                let _ = sock.send_to(format!("RELAY {who} PONG {nonce}").as_bytes(), rendezvous);
                log(&format!("relayed ping from {who}"));
            }
            _ => {}
        }
    }
}

/// One attempt: punch, then the relay. Exit 0 and "connected" on success, 1 otherwise.
fn connect(peer: &str, name: &str, rendezvous: SocketAddr, timeout: Duration) -> i32 {
    let sock = UdpSocket::bind("0.0.0.0:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_millis(50))).ok();
    let nonce = format!("{:x}", SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    let started = Instant::now();
    let punch_until = timeout / 2;
    let mut target: Option<SocketAddr> = None;
    let mut lookups = 0u32;
    let mut last_send = Instant::now() - Duration::from_secs(1);
    let mut buf = [0u8; 1500];
    // this socket registers under its own name, so the daemon's registration stays put
    let me = format!("{name}~c");
    log(&format!("{name}: looking up {peer}"));
    while started.elapsed() < punch_until {
        if last_send.elapsed() > Duration::from_millis(100) {
            match target {
                None => {
                    let _ = sock.send_to(format!("LOOKUP {peer} {me}").as_bytes(), rendezvous);
                }
                Some(t) => {
                    let _ = sock.send_to(format!("HELLO {name} {nonce}").as_bytes(), t);
                    // ask again now and then: each lookup makes the rendezvous tell the peer to
                    // punch, and its first PUNCH may have been lost
                    lookups += 1;
                    if lookups % 4 == 0 {
                        let _ = sock.send_to(format!("LOOKUP {peer} {me}").as_bytes(), rendezvous);
                    }
                }
            }
            last_send = Instant::now();
        }
        let Some((msg, from)) = recv(&sock, &mut buf) else { continue };
        let parts: Vec<&str> = msg.split(' ').collect();
        match parts.as_slice() {
            // the first answer gives the address; a repeated one never replaces an address the
            // peer's own packets came from (behind a symmetric NAT that is another port)
            ["PEER", who, at] if *who == peer && target.is_none() => {
                log(&format!("{peer} is at {at}, punching"));
                target = Some(addr(at));
                last_send = Instant::now() - Duration::from_secs(1);
            }
            // the answer may come from another port than the rendezvous saw: take it
            ["HELLO", who, _] if *who == peer => {
                let _ = sock.send_to(format!("HELLO {name} {nonce}").as_bytes(), from);
                target = Some(from);
            }
            ["ACK", who, n] if *who == peer && *n == nonce => {
                log(&format!("connected to {peer} directly at {from} in {} ms", started.elapsed().as_millis()));
                return 0;
            }
            _ => {}
        }
    }
    log(&format!("no direct path to {peer}, trying the relay"));
    while started.elapsed() < timeout {
        if last_send.elapsed() > Duration::from_millis(100) {
            let _ = sock.send_to(format!("REG {me}").as_bytes(), rendezvous);
            let _ = sock.send_to(format!("RELAY {peer} PING {nonce}").as_bytes(), rendezvous);
            last_send = Instant::now();
        }
        let Some((msg, _)) = recv(&sock, &mut buf) else { continue };
        let parts: Vec<&str> = msg.split(' ').collect();
        if let ["FROM", who, "PONG", n] = parts.as_slice() {
            if *who == peer && *n == nonce {
                log(&format!("connected to {peer} through the relay in {} ms", started.elapsed().as_millis()));
                return 0;
            }
        }
    }
    eprintln!("could not reach {peer} within {} ms", timeout.as_millis());
    1
}

fn main() {
    let args: Vec<String> = env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve") => serve(arg(&args, "--port").and_then(|p| p.parse().ok()).unwrap_or(7000)),
        Some("listen") => {
            let name = need(&args, "--name");
            let rendezvous = addr(&need(&args, "--rendezvous"));
            if arg(&args, "--serve-on").as_deref() == Some(name.as_str()) {
                let port = rendezvous.port();
                thread::spawn(move || serve(port));
                thread::sleep(Duration::from_millis(100));
            }
            listen(&name, rendezvous)
        }
        Some("connect") => {
            let peer = args.get(2).cloned().unwrap_or_else(|| {
                eprintln!("p2p-demo connect: which peer?");
                exit(2)
            });
            let timeout = arg(&args, "--timeout-ms").and_then(|t| t.parse().ok()).unwrap_or(3000);
            // a bug on purpose, for vps-test's dead-class example: this one direction never works
            if arg(&args, "--broken-pair") == Some(format!("{}:{peer}", need(&args, "--name"))) {
                eprintln!("simulated bug: no route to {peer}");
                exit(1)
            }
            exit(connect(&peer, &need(&args, "--name"), addr(&need(&args, "--rendezvous")), Duration::from_millis(timeout)))
        }
        _ => {
            eprintln!("usage: p2p-demo serve --port P | listen --name N --rendezvous IP:P [--serve-on N] | connect PEER --name N --rendezvous IP:P [--timeout-ms T]");
            exit(2)
        }
    }
}
