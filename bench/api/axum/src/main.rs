//! The reference server of `npm run bench -- api`: GET /v1/predictions/latest answers the same
//! JSON bytes as the Node API, held in memory. No authentication and no rate limiting: it is the
//! floor of what answering this request can cost, as the seed's "Rust for performance" choice.
//!
//!     axum-latest <port> <body.json> [worker threads]
//!
//! Prints `listening <port>` once it accepts connections.

use axum::{
    body::Bytes,
    http::{header, HeaderValue},
    response::IntoResponse,
    routing::get,
    Router,
};
use std::{env, fs, net::SocketAddr};

fn main() {
    let args: Vec<String> = env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: axum-latest <port> <body.json> [worker threads]");
        std::process::exit(2);
    }
    let port: u16 = args[1].parse().expect("port: a number");
    let body = Bytes::from(fs::read(&args[2]).expect("body: a readable file"));
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.get(3) {
        runtime.worker_threads(threads.parse().expect("worker threads: a number"));
    }
    runtime
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(serve(port, body));
}

async fn serve(port: u16, body: Bytes) {
    let app = Router::new().route(
        "/v1/predictions/latest",
        get(move || {
            let body = body.clone();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json; charset=utf-8"),
                    )],
                    body,
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .expect("bind");
    println!(
        "listening {}",
        listener.local_addr().expect("address").port()
    );
    axum::serve(listener, app).await.expect("serve");
}
