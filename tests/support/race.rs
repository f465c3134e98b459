//! Requests raced as a client best can: each on its own connection, all but
//! its last byte sent first, then every last byte at once, so the server
//! starts them all within a moment of each other.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One raw HTTP/1.1 request to the test server (`Connection: close`).
pub fn raw_request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    text.into_bytes()
}

/// Sends the requests as described above; the status code of each answer, in order.
pub async fn last_byte_race(port: u16, requests: Vec<Vec<u8>>) -> Vec<u16> {
    let mut streams = Vec::new();
    for request in &requests {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream.write_all(&request[..request.len() - 1]).await.expect("write");
        streams.push(stream);
    }
    // Not background work: the server reads every request's head before the last bytes go.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(streams.len()));
    let tasks: Vec<_> = streams
        .into_iter()
        .zip(requests)
        .map(|(mut stream, request)| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                stream.write_all(&request[request.len() - 1..]).await.expect("last byte");
                let mut answer = Vec::new();
                stream.read_to_end(&mut answer).await.expect("read");
                let text = String::from_utf8_lossy(&answer);
                text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task"));
    }
    statuses
}
