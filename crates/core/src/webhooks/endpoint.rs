//! An endpoint's registration (`POST /webhook-endpoints`), checked before
//! anything is stored: each refusal names the field at fault. Also the
//! rule of which addresses an event may be sent to: a server inside a
//! private network must not become a way to reach that network's other
//! hosts (SSRF), so loopback, private and link-local destinations are
//! refused unless the operator allowed them.

use super::events::{EventType, UnknownEventType};
use super::signing::{SecretError, WebhookSecret};
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest description kept.
pub const MAX_DESCRIPTION: usize = 500;

/// The longest URL kept.
pub const MAX_URL: usize = 2048;

/// A registration as the client sent it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EndpointRequest {
    pub url: String,
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// `whsec_…` to sign with; one is generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A registration that passed every check.
#[derive(Debug, Clone)]
pub struct ValidEndpoint {
    pub url: url::Url,
    pub events: BTreeSet<EventType>,
    pub description: String,
    pub secret: Option<WebhookSecret>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("url: {0}")]
    Url(String),
    #[error(
        "url: {0} is a loopback, private or link-local destination; events go there only \
         when the server runs with --webhooks-allow-private"
    )]
    Private(String),
    #[error("events: {0}")]
    UnknownEvent(#[from] UnknownEventType),
    #[error("events: name at least one event type")]
    NoEvents,
    #[error("description: at most {MAX_DESCRIPTION} characters")]
    Description,
    #[error("secret: {0}")]
    Secret(#[from] SecretError),
}

impl EndpointError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            EndpointError::Url(_) | EndpointError::Private(_) => "url",
            EndpointError::UnknownEvent(_) | EndpointError::NoEvents => "events",
            EndpointError::Description => "description",
            EndpointError::Secret(_) => "secret",
        }
    }
}

impl EndpointRequest {
    /// Checks every field; `allow_private` is `--webhooks-allow-private`.
    pub fn validate(&self, allow_private: bool) -> Result<ValidEndpoint, EndpointError> {
        let url = check_url(&self.url, allow_private)?;
        if self.events.is_empty() {
            return Err(EndpointError::NoEvents);
        }
        let events = self
            .events
            .iter()
            .map(|e| e.parse::<EventType>())
            .collect::<Result<BTreeSet<_>, _>>()?;
        let description = self.description.clone().unwrap_or_default();
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(EndpointError::Description);
        }
        let secret = self
            .secret
            .as_deref()
            .map(WebhookSecret::parse)
            .transpose()?;
        Ok(ValidEndpoint {
            url,
            events,
            description,
            secret,
        })
    }
}

/// An http(s) URL with a host, and with a public one unless
/// `allow_private`. A name is checked again on every address it resolves
/// to when a delivery connects; here only what the text itself shows.
pub fn check_url(text: &str, allow_private: bool) -> Result<url::Url, EndpointError> {
    if text.len() > MAX_URL {
        return Err(EndpointError::Url(format!("at most {MAX_URL} bytes")));
    }
    let url = url::Url::parse(text).map_err(|e| EndpointError::Url(format!("{e}: {text:?}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(EndpointError::Url(format!(
            "must be http or https, not {:?}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError::Url(
            "must not carry credentials; the signature proves the sender".into(),
        ));
    }
    let private = match url.host() {
        None => return Err(EndpointError::Url("must name a host".into())),
        Some(url::Host::Ipv4(ip)) => !is_public(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => !is_public(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    if private && !allow_private {
        return Err(EndpointError::Private(text.to_string()));
    }
    Ok(url)
}

/// Whether `ip` is an address on the public internet: not loopback,
/// private, shared, link-local, unspecified, documentation, benchmarking,
/// reserved, broadcast or multicast (an IPv4-mapped IPv6 address as its
/// IPv4 one).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (18..20).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        || (first == 0x0064 && ip.segments()[1] == 0xff9b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str, events: &[&str]) -> EndpointRequest {
        EndpointRequest {
            url: url.into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_public_https_endpoint_is_valid() {
        let v = request("https://crm.example.com/hooks", &["call.completed"])
            .validate(false)
            .unwrap();
        assert_eq!(
            v.events.into_iter().collect::<Vec<_>>(),
            [EventType::CallCompleted]
        );
        assert!(v.secret.is_none());
    }

    #[test]
    fn each_refusal_names_its_field() {
        let cases = [
            (request("ftp://example.com/", &["call.completed"]), "url"),
            (request("not a url", &["call.completed"]), "url"),
            (
                request("https://user:pw@example.com/", &["call.completed"]),
                "url",
            ),
            (request("http://127.0.0.1:9/", &["call.completed"]), "url"),
            (request("http://localhost:9/", &["call.completed"]), "url"),
            (request("http://[::1]:9/", &["call.completed"]), "url"),
            (request("http://10.1.2.3/", &["call.completed"]), "url"),
            (request("https://example.com/", &["call.started"]), "events"),
            (request("https://example.com/", &[]), "events"),
            (
                EndpointRequest {
                    secret: Some("sekrit".into()),
                    ..request("https://example.com/", &["campaign.done"])
                },
                "secret",
            ),
            (
                EndpointRequest {
                    description: Some("x".repeat(MAX_DESCRIPTION + 1)),
                    ..request("https://example.com/", &["campaign.done"])
                },
                "description",
            ),
        ];
        for (req, field) in cases {
            let e = req.validate(false).unwrap_err();
            assert_eq!(e.field(), field, "{req:?}: {e}");
            assert!(e.to_string().starts_with(field), "{e}");
        }
    }

    #[test]
    fn private_destinations_need_the_flag() {
        let r = request("http://127.0.0.1:9/", &["campaign.done"]);
        assert!(r.validate(true).is_ok());
    }

    #[test]
    fn public_means_routable() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
