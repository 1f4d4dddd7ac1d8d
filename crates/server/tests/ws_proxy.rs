//! `/ws` behind a real reverse proxy (Debian's nginx, configured as the old release deployed it: `Host` rewritten
//! to the upstream's, the browser's host in `X-Forwarded-Host`): refused while the proxy is not trusted, accepted
//! once `TRUSTED_PROXIES` names it, and never believed from anyone else.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use support::{Dashboard, closed_port};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue};

/// nginx in front of the dashboard on a free loopback port; stopped on drop.
struct Nginx {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(upstream: std::net::SocketAddr) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let port = kato_dashboard_testkit::free_port().unwrap();
        let d = dir.path().display();
        // The snippet of docs/operations.md ("Behind a reverse proxy"), with nginx's default Host rewrite kept.
        let conf = format!(
            "daemon off; pid {d}/nginx.pid; error_log {d}/error.log; worker_processes 1;
             events {{ worker_connections 64; }}
             http {{
               access_log off;
               client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
               uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
               server {{
                 listen 127.0.0.1:{port};
                 location / {{
                   proxy_pass http://{upstream};
                   proxy_http_version 1.1;
                   proxy_set_header Upgrade $http_upgrade;
                   proxy_set_header Connection \"upgrade\";
                   proxy_set_header X-Forwarded-Host $http_host;
                   proxy_set_header X-Forwarded-Proto $scheme;
                 }}
               }}
             }}"
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx (Debian nginx-light; ./dashboard.sh test installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not listen on {port}: {}",
                std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Nginx {
            port,
            child,
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status of a `/ws` upgrade through nginx, as a browser on the proxy's address would send it.
async fn upgrade_status(nginx: &Nginx, origin: &str) -> u16 {
    let mut req = format!("ws://127.0.0.1:{}/ws", nginx.port)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", HeaderValue::from_str(origin).unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((_, resp)) => resp.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("upgrade through nginx: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_nginx_the_page_connects_once_the_proxy_is_trusted() {
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    for (trusted, expected) in [("", 403), ("192.0.2.0/24", 403), ("127.0.0.1", 101)] {
        let dash = Dashboard::start(&kato, &[("TRUSTED_PROXIES", trusted)]).await;
        let nginx = Nginx::start(dash.addr);
        let page = format!("http://127.0.0.1:{}", nginx.port);
        assert_eq!(
            upgrade_status(&nginx, &page).await,
            expected,
            "TRUSTED_PROXIES={trusted:?}"
        );
        // Another site's page never gets in, whoever forwards it.
        assert_eq!(upgrade_status(&nginx, "http://evil.example").await, 403);
        drop(nginx);
        dash.stop().await;
    }
}

#[tokio::test]
async fn a_forged_forwarded_host_from_an_untrusted_peer_is_ignored() {
    let kato = format!("http://127.0.0.1:{}", closed_port().await);
    let dash = Dashboard::start(&kato, &[("TRUSTED_PROXIES", "192.0.2.1")]).await;
    let mut req = dash.ws_url().into_client_request().unwrap();
    req.headers_mut()
        .insert("origin", HeaderValue::from_static("http://evil.example"));
    req.headers_mut()
        .insert("x-forwarded-host", HeaderValue::from_static("evil.example"));
    let status = match tokio_tungstenite::connect_async(req).await {
        Ok((_, resp)) => resp.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status, 403);
    dash.stop().await;
}
