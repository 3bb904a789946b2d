//! Networking through QEMU's user network (the guest is 10.0.2.15, the
//! host's loopback is 10.0.2.2 to it): busybox wget in the guest fetches a
//! file from a server this test runs on 127.0.0.1; the test fetches a file
//! from busybox httpd in the guest through a forwarded port; nc carries
//! data both ways; a UDP datagram goes to an echo server here and back;
//! ping reaches lo and the host; ifconfig and route configure eth0.
//! Only addresses on this machine are used.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use harness::{BootResult, Qemu, QemuConfig};

const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
/// The guest's static address, through Linux's `ip=` parameter.
const IP: &str = "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off";
/// The file wget fetches from the host.
const HOST_FILE_BYTES: usize = 10 << 20;

/// A QEMU configuration with a virtio-net card on the user network and
/// `forwards` (host port, guest port) of TCP forwarded to the guest.
fn net_config(forwards: &[(u16, u16)]) -> QemuConfig {
    let mut config = QemuConfig::from_env();
    let mut netdev = String::from("user,id=n0");
    for (host, guest) in forwards {
        netdev += &format!(",hostfwd=tcp:127.0.0.1:{host}-:{guest}");
    }
    config.extra.extend(["-netdev".into(), netdev.into(), "-device".into(), "virtio-net-pci,netdev=n0".into()]);
    config
}

fn boot_script(config: &QemuConfig, script: &str) -> Qemu {
    Qemu::boot_with(config, &format!("console=ttyS0 panic=-1 {IP} init=/bin/sh -- -c \"{script}\""))
}

/// As `boot_script`, without an address for eth0.
fn boot_script_unconfigured(config: &QemuConfig, script: &str) -> Qemu {
    Qemu::boot_with(config, &format!("console=ttyS0 panic=-1 init=/bin/sh -- -c \"{script}\""))
}

/// A port on 127.0.0.1 nobody uses now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `len` bytes that do not compress (xorshift).
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The MD5 digest of `data` in hex, as md5sum prints it.
fn md5_hex(data: &[u8]) -> String {
    let mut child = Command::new("md5sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("md5sum runs");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

/// Serves `body` once, to the first HTTP request on `listener`.
fn serve_once(listener: TcpListener, body: Vec<u8>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else { return };
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
            request.push(byte[0]);
        }
        let head = format!(
            "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\r\n",
            body.len()
        );
        let _ = conn.write_all(head.as_bytes()).and_then(|_| conn.write_all(&body));
    })
}

fn finish(mut q: Qemu) -> BootResult {
    let r = q.wait(BOOT_TIMEOUT);
    r.expect_clean_power_down();
    r
}

#[test]
fn wget_fetches_a_file_from_the_host() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = pseudo_random(HOST_FILE_BYTES);
    let digest = md5_hex(&body);
    let server = serve_once(listener, body);
    let q = boot_script(
        &net_config(&[]),
        &format!("wget -q -O /tmp/f http://10.0.2.2:{port}/f; md5sum /tmp/f; poweroff -f"),
    );
    let r = finish(q);
    server.join().unwrap();
    r.expect_contains("eth0: virtio-net");
    r.expect(r.contains(&format!("{digest}  /tmp/f")), format_args!("the guest's copy has another md5 than {digest}"));
}

/// The guest's script for the two-way test: httpd serves a file whose md5
/// it prints, then nc takes a line from the host and sends one back.
fn two_way_script(back_port: u16) -> String {
    [
        "mkdir -p /www",
        "head -c 1048576 /dev/urandom > /www/f",
        "md5sum /www/f",
        "httpd -p 80 -h /www",
        "echo net-ready",
        // stdin from /dev/null: busybox nc runs until both stdin and the
        // connection are at their end.
        "nc -l -p 81 < /dev/null > /tmp/from-host",
        "echo guest-got: $(cat /tmp/from-host)",
        &format!("echo from-guest | nc 10.0.2.2 {back_port}"),
        "poweroff -f",
    ]
    .join("; ")
}

/// An HTTP GET of `path` on 127.0.0.1:`port`: the body.
fn http_get(port: u16, path: &str) -> Vec<u8> {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    conn.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes()).unwrap();
    let mut reply = Vec::new();
    let _ = conn.read_to_end(&mut reply);
    let start = reply.windows(4).position(|w| w == b"\r\n\r\n").map_or(reply.len(), |p| p + 4);
    reply.split_off(start)
}

#[test]
fn host_fetches_from_guest_httpd_and_nc_carries_data_both_ways() {
    let (http, nc_in) = (free_port(), free_port());
    let back = TcpListener::bind("127.0.0.1:0").unwrap();
    let back_port = back.local_addr().unwrap().port();
    let receiver = thread::spawn(move || {
        let mut got = String::new();
        if let Ok((mut conn, _)) = back.accept() {
            let _ = conn.read_to_string(&mut got);
        }
        got
    });
    let q = boot_script(&net_config(&[(http, 80), (nc_in, 81)]), &two_way_script(back_port));
    let ready = q.wait_for("net-ready", BOOT_TIMEOUT).is_some();
    let body = if ready { http_get(http, "/f") } else { Vec::new() };
    if ready {
        let mut conn = TcpStream::connect(("127.0.0.1", nc_in)).unwrap();
        conn.write_all(b"from-host\n").unwrap();
    }
    let r = finish(q);
    r.expect(ready, "the guest never printed net-ready");
    let guest_digest = r.find_containing("  /www/f").unwrap_or_default().split_whitespace().next().unwrap_or_default();
    r.expect(body.len() == 1 << 20, format_args!("httpd sent {} bytes, not 1 MiB", body.len()));
    r.expect(md5_hex(&body) == guest_digest, "the file from httpd differs from the guest's");
    r.expect_contains("guest-got: from-host");
    let got = receiver.join().unwrap();
    r.expect(got == "from-guest\n", format_args!("nc from the guest sent {got:?}"));
}

/// A UDP datagram goes to an echo server here and back, and busybox ping
/// (raw ICMP sockets) reaches lo and the host.
#[test]
fn udp_echo_and_ping() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    server.set_read_timeout(Some(BOOT_TIMEOUT)).unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [0u8; 1500];
        if let Ok((n, from)) = server.recv_from(&mut buf) {
            let mut reply = b"echo:".to_vec();
            reply.extend_from_slice(&buf[..n]);
            let _ = server.send_to(&reply, from);
        }
    });
    let script =
        format!("echo udp-hello | nc -u -w 3 10.0.2.2 {port}; ping -c 2 127.0.0.1; ping -c 2 10.0.2.2; poweroff -f");
    let r = finish(boot_script(&net_config(&[]), &script));
    echo.join().unwrap();
    r.expect_contains("echo:udp-hello");
    r.expect(r.count("2 packets transmitted, 2 packets received") == 2, "ping lost packets (to 127.0.0.1 or 10.0.2.2)");
}

/// Without `ip=`, busybox ifconfig and route configure eth0 (netdevice
/// ioctls), /proc/net/route and ifconfig show it, and wget then works.
#[test]
fn ifconfig_and_route_configure_eth0() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = pseudo_random(64 * 1024);
    let digest = md5_hex(&body);
    let server = serve_once(listener, body);
    let script = [
        "mount -t proc proc /proc",
        "ifconfig eth0 10.0.2.16 netmask 255.255.255.0 up",
        "route add default gw 10.0.2.2",
        "route -n",
        "ifconfig eth0",
        &format!("wget -q -O /tmp/f http://10.0.2.2:{port}/f"),
        "md5sum /tmp/f",
        "poweroff -f",
    ]
    .join("; ");
    let r = finish(boot_script_unconfigured(&net_config(&[]), &script));
    server.join().unwrap();
    r.expect(
        r.texts().any(|l| {
            l.split_whitespace().collect::<Vec<_>>() == ["0.0.0.0", "10.0.2.2", "0.0.0.0", "UG", "0", "0", "0", "eth0"]
        }),
        "route -n shows no default route through 10.0.2.2",
    );
    r.expect_contains("inet addr:10.0.2.16  Bcast:10.0.2.255  Mask:255.255.255.0");
    r.expect(r.contains(&format!("{digest}  /tmp/f")), "wget through the configured interface failed");
}
