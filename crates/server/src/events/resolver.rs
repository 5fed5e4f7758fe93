//! The DNS resolver of the delivery client, which keeps only public
//! addresses. Checking a URL's name when it is registered is not enough:
//! the name can later resolve to 127.0.0.1 or 10.x (DNS rebinding), so the
//! check runs on every address at every connect. A URL that names an IP
//! literal never reaches a resolver; the delivery checks it itself
//! ([`numdialer_core::webhooks::endpoint::check_url`]).

use numdialer_core::webhooks::is_public;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;

/// Resolves with the system's resolver, then drops every address that is
/// not public; a name left with none fails to connect.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!(
                    "{host} resolves to no public address; events go to loopback or private \
                     networks only with --webhooks-allow-private"
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn localhost_resolves_to_nothing() {
        let e = PublicOnly
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert!(e.to_string().contains("no public address"), "{e}");
    }
}
