//! Which addresses a fetched URL may point to. Result URLs come from a provider's
//! response, so without a check they could make genworker fetch loopback,
//! private or link-local services (SSRF). The check is applied when resolving
//! names (so DNS answers are covered, redirects included) and to literal IPs.

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether private addresses may be fetched (`GENWORKER_ALLOW_PRIVATE_URLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressPolicy {
    /// Only public unicast addresses.
    #[default]
    PublicOnly,
    /// Anything, loopback included (the simulator and tests).
    AllowPrivate,
}

impl AddressPolicy {
    /// Whether this address may be connected to.
    pub fn allows(self, ip: IpAddr) -> bool {
        self == Self::AllowPrivate || is_public(ip)
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80) // link-local
        }
    }
}

/// Refuses a URL whose host is a literal IP address the policy forbids
/// (names are checked by [`GuardedResolver`] when they are resolved).
pub fn check_literal_host(url: &url::Url, policy: AddressPolicy) -> Result<(), IpAddr> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if policy.allows(ip) { Ok(()) } else { Err(ip) }
}

/// A DNS resolver that drops the addresses the policy forbids and fails when
/// none is left, so a name cannot lead to a private address.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver(pub AddressPolicy);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| policy.allows(addr.ip()))
                .collect();
            if allowed.is_empty() {
                let error: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves only to private or local addresses").into();
                return Err(error);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "255.255.255.255",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!AddressPolicy::PublicOnly.allows(ip), "{ip} allowed");
            assert!(AddressPolicy::AllowPrivate.allows(ip));
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(
                AddressPolicy::PublicOnly.allows(ip.parse().unwrap()),
                "{ip} refused"
            );
        }
    }

    #[test]
    fn literal_hosts_are_checked_and_names_left_to_the_resolver() {
        let url = |text: &str| url::Url::parse(text).unwrap();
        assert!(
            check_literal_host(
                &url("http://127.0.0.1:8080/v.mp4"),
                AddressPolicy::PublicOnly
            )
            .is_err()
        );
        assert!(check_literal_host(&url("http://[::1]/v.mp4"), AddressPolicy::PublicOnly).is_err());
        assert!(
            check_literal_host(
                &url("http://cdn.example.com/v.mp4"),
                AddressPolicy::PublicOnly
            )
            .is_ok()
        );
        assert!(
            check_literal_host(&url("http://127.0.0.1/v.mp4"), AddressPolicy::AllowPrivate).is_ok()
        );
    }
}
