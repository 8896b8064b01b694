//! `bench-server --generated | --hand [--listen ADDR]`: serve one of the two RevDesk routers
//! (see the library) for `cargo xtask bench`; prints `bench-server listening on http://ADDR`.

use std::net::SocketAddr;

use clap::Parser;

#[derive(Parser)]
#[command(about = "The generated or the hand-written RevDesk room-token server, for benchmarks")]
struct Args {
    /// Serve the generated router (with a trivial handler).
    #[arg(long, conflicts_with = "hand", required_unless_present = "hand")]
    generated: bool,
    /// Serve the hand-written axum handler.
    #[arg(long)]
    hand: bool,
    /// Address to listen on (port 0: one the kernel picks).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let router = if args.hand { bench_server::hand::router() } else { bench_server::generated::router() };
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("bench-server listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router).await
}
