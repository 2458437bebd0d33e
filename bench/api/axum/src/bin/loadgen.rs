//! The load generator of `npm run bench -- api`, used for both servers: a fixed number of
//! keep-alive HTTP/1.1 connections, each sending the same GET as soon as the previous answer is
//! read (closed loop, like wrk or autocannon), on one thread by default so that it takes at most
//! one core from the servers it measures. Latency is timed per request, from writing the request to
//! reading the last byte of the answer.
//!
//!     loadgen <url> <connections> <warm-up s> <measure s> [threads] [header: value]...
//!
//! Prints one JSON object: requests, rps, latency percentiles (ms), non2xx and errors over the
//! measured seconds; cpu_s, this generator's CPU time while measuring; all_requests, every answer
//! read including the warm-up.

use std::{
    env, fs,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

struct Target {
    address: String,
    request: Vec<u8>,
}

#[derive(Default)]
struct Tally {
    /// Answers read, warm-up included (to relate a server's CPU time to its work).
    answered: u64,
    latencies_us: Vec<u32>,
    non2xx: u64,
    errors: u64,
}

fn parse_target(url: &str, headers: &[String]) -> Target {
    let rest = url
        .strip_prefix("http://")
        .expect("url: http://host:port/path");
    let (address, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    Target {
        address: address.to_string(),
        request: request.into_bytes(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Status and total length (head + body) of the answer at the start of `bytes`, once its head is in.
fn answer_size(bytes: &[u8]) -> Result<Option<(u16, usize)>, String> {
    let Some(end) = find(bytes, b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| "head is not UTF-8".to_string())?;
    let status: u16 = head
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .ok_or("no status")?;
    let length = head
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .ok_or("no content-length")?;
    Ok(Some((status, end + 4 + length)))
}

async fn connection(target: Arc<Target>, measure_from: Instant, until: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut buffer = vec![0u8; 1 << 16];
    'connect: while Instant::now() < until {
        let mut stream = match TcpStream::connect(&target.address).await {
            Ok(stream) => stream,
            Err(_) => {
                tally.errors += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        while Instant::now() < until {
            let started = Instant::now();
            if stream.write_all(&target.request).await.is_err() {
                tally.errors += 1;
                continue 'connect;
            }
            let mut filled = 0;
            let (status, size) = loop {
                match answer_size(&buffer[..filled]) {
                    Ok(Some((status, size))) if filled >= size => break (status, size),
                    Ok(_) => {}
                    Err(_) => {
                        tally.errors += 1;
                        continue 'connect;
                    }
                }
                if filled == buffer.len() {
                    buffer.resize(buffer.len() * 2, 0);
                }
                match stream.read(&mut buffer[filled..]).await {
                    Ok(0) | Err(_) => {
                        tally.errors += 1;
                        continue 'connect;
                    }
                    Ok(read) => filled += read,
                }
            };
            let finished = Instant::now();
            tally.answered += 1;
            if size != filled {
                // More than one answer to one request: the connection is out of step.
                tally.errors += 1;
                continue 'connect;
            }
            if started >= measure_from && finished <= until {
                tally.latencies_us.push(
                    finished
                        .duration_since(started)
                        .as_micros()
                        .min(u32::MAX as u128) as u32,
                );
                if !(200..300).contains(&status) {
                    tally.non2xx += 1;
                }
            }
        }
    }
    tally
}

/// CPU seconds (user + system) this process has used, from /proc/self/stat (clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|value| value.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

fn main() {
    let args: Vec<String> = env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: loadgen <url> <connections> <warm-up s> <measure s> [threads] [header: value]...");
        std::process::exit(2);
    }
    let connections: usize = args[2].parse().expect("connections: a number");
    let warm_up = Duration::from_secs_f64(args[3].parse().expect("warm-up: seconds"));
    let measure = Duration::from_secs_f64(args[4].parse().expect("measure: seconds"));
    let threads: usize = args
        .get(5)
        .map(|t| t.parse().expect("threads: a number"))
        .unwrap_or(1);
    let target = Arc::new(parse_target(&args[1], &args[6.min(args.len())..]));

    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .expect("a tokio runtime");
    let (tallies, cpu) = runtime.block_on(async {
        let measure_from = Instant::now() + warm_up;
        let until = measure_from + measure;
        let tasks: Vec<_> = (0..connections)
            .map(|_| tokio::spawn(connection(target.clone(), measure_from, until)))
            .collect();
        // CPU used while measuring only (the warm-up's is left out).
        let cpu_at_start = tokio::spawn(async move {
            tokio::time::sleep_until(measure_from.into()).await;
            cpu_seconds()
        });
        let mut tallies = Vec::with_capacity(connections);
        for task in tasks {
            tallies.push(task.await.expect("a connection task"));
        }
        let cpu = cpu_seconds() - cpu_at_start.await.expect("the CPU sample");
        (tallies, cpu)
    });
    let mut latencies: Vec<u32> = tallies
        .iter()
        .flat_map(|t| t.latencies_us.iter().copied())
        .collect();
    latencies.sort_unstable();
    let requests = latencies.len();
    let seconds = measure.as_secs_f64();
    let mean = latencies.iter().map(|&us| us as f64).sum::<f64>() / requests.max(1) as f64 / 1000.0;
    println!(
        "{{\"requests\":{},\"rps\":{:.1},\"mean_ms\":{:.3},\"p50_ms\":{:.3},\"p90_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3},\"non2xx\":{},\"errors\":{},\"cpu_s\":{:.2},\"measured_s\":{},\"all_requests\":{}}}",
        requests,
        requests as f64 / seconds,
        mean,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        tallies.iter().map(|t| t.non2xx).sum::<u64>(),
        tallies.iter().map(|t| t.errors).sum::<u64>(),
        cpu,
        seconds,
        tallies.iter().map(|t| t.answered).sum::<u64>(),
    );
}
