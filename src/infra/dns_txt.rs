//! The TXT records of a name, asked of one DNS server: the one named by
//! `LATCHKEY_DNS_RESOLVER` (ip:port; tests point it at a local dnsmasq), or
//! the machine's first `nameserver` in /etc/resolv.conf. One question over
//! UDP, asked again over TCP when the answer was truncated — all a domain
//! check needs, without a resolver's caches and search lists.

use simple_dns::rdata::RData;
use simple_dns::{CLASS, Name, Packet, PacketFlag, QCLASS, QTYPE, Question, TYPE};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("no DNS server is configured (set LATCHKEY_DNS_RESOLVER, or a nameserver in /etc/resolv.conf)")]
    NoServer,
    #[error("the DNS server did not answer in time")]
    Timeout,
    #[error("asking the DNS server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the DNS answer could not be read: {0}")]
    Malformed(String),
}

/// The server to ask: `configured`, else the machine's first nameserver.
pub fn server(configured: Option<SocketAddr>) -> Result<SocketAddr, DnsError> {
    if let Some(addr) = configured {
        return Ok(addr);
    }
    let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .next()
        .ok_or(DnsError::NoServer)
}

/// The TXT records of `name` (each record's strings joined), from `server`.
pub async fn lookup(server: SocketAddr, name: &str) -> Result<Vec<String>, DnsError> {
    let id: u16 = rand::random();
    let mut query = Packet::new_query(id);
    query.set_flags(PacketFlag::RECURSION_DESIRED);
    let qname = Name::new(name).map_err(|e| DnsError::Malformed(e.to_string()))?;
    query.questions.push(Question::new(qname, QTYPE::TYPE(TYPE::TXT), QCLASS::CLASS(CLASS::IN), false));
    let bytes = query.build_bytes_vec().map_err(|e| DnsError::Malformed(e.to_string()))?;
    let answer = tokio::time::timeout(TIMEOUT, over_udp(server, &bytes)).await.map_err(|_| DnsError::Timeout)??;
    let truncated = Packet::parse(&answer).map(|p| p.has_flags(PacketFlag::TRUNCATION)).unwrap_or(false);
    let answer = if truncated {
        tokio::time::timeout(TIMEOUT, over_tcp(server, &bytes)).await.map_err(|_| DnsError::Timeout)??
    } else {
        answer
    };
    let packet = Packet::parse(&answer).map_err(|e| DnsError::Malformed(e.to_string()))?;
    if packet.id() != id {
        return Err(DnsError::Malformed("the answer is to another question".into()));
    }
    Ok(packet
        .answers
        .into_iter()
        .filter_map(|record| match record.rdata {
            RData::TXT(txt) => String::try_from(txt).ok(),
            _ => None,
        })
        .collect())
}

async fn over_udp(server: SocketAddr, query: &[u8]) -> Result<Vec<u8>, DnsError> {
    let bind: SocketAddr = if server.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let socket = tokio::net::UdpSocket::bind(bind).await?;
    socket.connect(server).await?;
    socket.send(query).await?;
    let mut buffer = vec![0u8; 4096];
    let n = socket.recv(&mut buffer).await?;
    buffer.truncate(n);
    Ok(buffer)
}

async fn over_tcp(server: SocketAddr, query: &[u8]) -> Result<Vec<u8>, DnsError> {
    let mut stream = tokio::net::TcpStream::connect(server).await?;
    let length = u16::try_from(query.len()).map_err(|_| DnsError::Malformed("query too long".into()))?;
    stream.write_all(&length.to_be_bytes()).await?;
    stream.write_all(query).await?;
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix).await?;
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    stream.read_exact(&mut answer).await?;
    Ok(answer)
}
