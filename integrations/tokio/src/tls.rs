//! `wss://` for [`crate::connect`]: TLS through tokio-rustls (ring), with the system's root
//! certificates (rustls-native-certs) unless the options give a client configuration.

use std::sync::Arc;

use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use crate::client::MaybeTlsStream;
use crate::Error;

/// A client configuration trusting the operating system's root certificates, offering
/// `http/1.1` in ALPN (an HTTP/1.1 upgrade follows).
pub fn system_roots_config() -> Result<ClientConfig, Error> {
    let mut roots = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        // A certificate the store cannot parse is skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(Error::Tls(
            "no usable root certificate on this system".into(),
        ));
    }
    let mut config = ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

pub(crate) async fn wrap(
    tcp: TcpStream,
    host: &str,
    config: Option<Arc<ClientConfig>>,
) -> Result<MaybeTlsStream, Error> {
    let config = match config {
        Some(c) => c,
        None => Arc::new(system_roots_config()?),
    };
    let name = ServerName::try_from(host.to_string()).map_err(|e| Error::Tls(e.to_string()))?;
    let tls = TlsConnector::from(config).connect(name, tcp).await?;
    Ok(MaybeTlsStream::Rustls(Box::new(tls)))
}
