//! Test certificates made with the `openssl` CLI: a CA, a server certificate for `127.0.0.1` and a client
//! certificate signed by it, and a rogue client (its own CA) the engine must refuse. Each client folder has
//! the docker CLI's layout (`ca.pem`, `cert.pem`, `key.pem`); everything lives in a temp dir.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The certificates of one TLS test.
pub struct Certs {
    /// Removed on drop.
    pub dir: tempfile::TempDir,
}

impl Certs {
    /// Makes every certificate; panics with openssl's own words when it cannot.
    pub fn generate() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("kd-tls-")
            .tempdir_in("/tmp")
            .unwrap();
        let root = dir.path();
        for sub in ["ca", "server", "client", "rogue-ca", "rogue"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        ca(&root.join("ca"), "kd-test-ca");
        ca(&root.join("rogue-ca"), "kd-rogue-ca");
        signed(
            root,
            "ca",
            "server",
            "127.0.0.1",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        );
        signed(
            root,
            "ca",
            "client",
            "kd-client",
            "extendedKeyUsage=clientAuth\n",
        );
        // Signed by a CA the engine does not know; it trusts the engine's CA all the same.
        signed(
            root,
            "rogue-ca",
            "rogue",
            "kd-rogue",
            "extendedKeyUsage=clientAuth\n",
        );
        std::fs::copy(root.join("ca/cert.pem"), root.join("client/ca.pem")).unwrap();
        std::fs::copy(root.join("ca/cert.pem"), root.join("rogue/ca.pem")).unwrap();
        Self { dir }
    }

    /// The client folder the engine accepts (`ca.pem`, `cert.pem`, `key.pem`).
    pub fn client(&self) -> PathBuf {
        self.dir.path().join("client")
    }

    /// A client folder with a certificate of another CA.
    pub fn rogue(&self) -> PathBuf {
        self.dir.path().join("rogue")
    }

    /// The `dockerd` arguments of a TLS listener on `127.0.0.1:port` that verifies clients.
    pub fn dockerd_args(&self, port: u16) -> Vec<String> {
        let root = self.dir.path();
        vec![
            "--tlsverify".into(),
            format!("--tlscacert={}", root.join("ca/cert.pem").display()),
            format!("--tlscert={}", root.join("server/cert.pem").display()),
            format!("--tlskey={}", root.join("server/key.pem").display()),
            format!("--host=tcp://127.0.0.1:{port}"),
        ]
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI (apt-get install openssl) makes the test certificates");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn p(path: PathBuf) -> String {
    path.display().to_string()
}

/// A self-signed CA: `dir/cert.pem`, `dir/ca-key.pem`.
fn ca(dir: &Path, cn: &str) {
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        &format!("/CN={cn}"),
        "-keyout",
        &p(dir.join("ca-key.pem")),
        "-out",
        &p(dir.join("cert.pem")),
    ]);
}

/// A key and a certificate for `cn` signed by the CA in `root/ca_dir`, into `root/out/{key,cert}.pem`.
fn signed(root: &Path, ca_dir: &str, out: &str, cn: &str, ext: &str) {
    let dir = root.join(out);
    let ext_file = dir.join("ext.cnf");
    std::fs::write(&ext_file, ext).unwrap();
    let csr = dir.join("req.csr");
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        &format!("/CN={cn}"),
        "-keyout",
        &p(dir.join("key.pem")),
        "-out",
        &p(csr.clone()),
    ]);
    let ca = root.join(ca_dir);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p(csr),
        "-days",
        "2",
        "-CA",
        &p(ca.join("cert.pem")),
        "-CAkey",
        &p(ca.join("ca-key.pem")),
        "-CAcreateserial",
        "-extfile",
        &p(ext_file),
        "-out",
        &p(dir.join("cert.pem")),
    ]);
}
