//! An HTTP/1.1 server on tokio's multi-threaded runtime, and the clients
//! that load it: `httpd PORT CLIENTS REQUESTS` serves on 127.0.0.1:PORT,
//! starts CLIENTS concurrent connections that each send REQUESTS
//! keep-alive requests for /n (answered with n squared), checks every
//! answer, and prints one line with the totals.

use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

async fn serve(stream: TcpStream) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    loop {
        let mut request = String::new();
        if lines.read_line(&mut request).await? == 0 {
            return Ok(());
        }
        // Headers, up to the blank line.
        loop {
            let mut header = String::new();
            if lines.read_line(&mut header).await? == 0 || header == "\r\n" {
                break;
            }
        }
        let n: u64 = request.split(' ').nth(1).and_then(|p| p.trim_start_matches('/').parse().ok()).unwrap_or(0);
        let body = format!("{}\n", n * n);
        let reply = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{body}", body.len());
        write.write_all(reply.as_bytes()).await?;
    }
}

async fn client(port: u16, id: u64, requests: u64) -> std::io::Result<u64> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut sum = 0;
    for i in 0..requests {
        let n = id * 1000 + i;
        write.write_all(format!("GET /{n} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes()).await?;
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await?;
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        let value: u64 = String::from_utf8_lossy(&body).trim().parse().unwrap_or(u64::MAX);
        if value != n * n {
            return Err(std::io::Error::other(format!("/{n} answered {value}")));
        }
        sum += value;
    }
    Ok(sum)
}

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let (port, clients, requests) = (args[0] as u16, args[1], args[2]);
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            tokio::spawn(serve(stream));
        }
    });
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients).map(|id| tokio::spawn(client(port, id, requests))).collect();
    let mut total = 0u64;
    for task in tasks {
        total = total.wrapping_add(task.await.expect("client task").expect("client"));
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    println!("httpd: {clients} clients x {requests} requests answered, checksum {total}");
    eprintln!("workload httpd {ms:.1} ms");
}
