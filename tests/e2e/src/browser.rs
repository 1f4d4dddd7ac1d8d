//! Headless Debian Chromium over the DevTools protocol (chromiumoxide). Each [`Browser`] gets a fresh profile in a
//! temp dir; on drop every process started with that profile is killed, so no orphan renderer survives a failed
//! test.

use std::{path::Path, time::Duration};

use anyhow::{Context, anyhow};
use chromiumoxide::{
    Page,
    browser::BrowserConfig,
    cdp::browser_protocol::{
        emulation::{MediaFeature, SetDeviceMetricsOverrideParams},
        page::CaptureScreenshotFormat,
    },
    page::ScreenshotParams,
};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;

/// The Chromium binary: `CHROMIUM`, else Debian's.
fn executable() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// A headless Chromium.
pub struct Browser {
    inner: chromiumoxide::Browser,
    handler: JoinHandle<()>,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium with a fresh profile and a `width`×`height` window.
    pub async fn launch(width: u32, height: u32) -> anyhow::Result<Self> {
        let profile = tempfile::Builder::new()
            .prefix("kato-e2e-chromium-")
            .tempdir()?;
        let exe = executable();
        if !Path::new(&exe).exists() {
            anyhow::bail!("{exe} not found: install Debian's chromium (./dashboard.sh test does)");
        }
        let config = BrowserConfig::builder()
            .chrome_executable(&exe)
            .disable_default_args()
            // Headless (`--headless`) is chromiumoxide's default.
            .no_sandbox()
            .user_data_dir(profile.path())
            .window_size(width, height)
            .viewport(None)
            .launch_timeout(Duration::from_secs(30))
            .request_timeout(Duration::from_secs(20))
            .args([
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ])
            .build()
            .map_err(|e| anyhow!("chromium configuration: {e}"))?;
        let (inner, mut events) = chromiumoxide::Browser::launch(config)
            .await
            .with_context(|| format!("launching {exe}"))?;
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        Ok(Browser {
            inner,
            handler,
            profile,
        })
    }

    /// Opens `url` in a new tab and waits for the load.
    pub async fn open(&self, url: &str) -> anyhow::Result<Tab> {
        let page = self
            .inner
            .new_page(url)
            .await
            .with_context(|| format!("opening {url}"))?;
        page.wait_for_navigation().await?;
        Ok(Tab {
            page,
            viewport: Default::default(),
        })
    }

    /// A blank tab, for setting things up (e.g. [`Tab::on_new_document`]) before the first navigation.
    pub async fn blank(&self) -> anyhow::Result<Tab> {
        Ok(Tab {
            page: self.inner.new_page("about:blank").await?,
            viewport: Default::default(),
        })
    }

    /// Closes the browser (drop also kills it).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.inner.close()).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.inner.wait()).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.handler.abort();
        kill_by_profile(self.profile.path());
    }
}

/// Kills every process whose command line names this profile directory (Chromium's helpers included).
fn kill_by_profile(profile: &Path) {
    let marker = format!("--user-data-dir={}", profile.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline
            .split(|b| *b == 0)
            .any(|arg| arg == marker.as_bytes())
        {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", pid])
                .status();
        }
    }
}

/// One tab.
pub struct Tab {
    pub page: Page,
    /// The viewport set by [`Tab::viewport`]: a full-page screenshot clears Chromium's override, so it is set again.
    viewport: std::sync::Mutex<Option<(i64, i64, bool)>>,
}

impl Tab {
    /// Waits until the app's connection indicator says its WebSocket is open.
    pub async fn wait_connected(&self, within: Duration) -> anyhow::Result<()> {
        crate::wait_for(
            within,
            "the connection indicator to say connected",
            || async {
                let state: Option<String> = self
                .eval("document.querySelector('[data-testid=conn-status]')?.dataset.state ?? null")
                .await?;
                Ok((state.as_deref() == Some("open")).then_some(()))
            },
        )
        .await
    }

    /// Evaluates a JavaScript expression and reads its (JSON) value.
    pub async fn eval<T: DeserializeOwned>(&self, js: &str) -> anyhow::Result<T> {
        let result = self
            .page
            .evaluate(js)
            .await
            .with_context(|| format!("evaluating {js}"))?;
        result
            .into_value::<T>()
            .with_context(|| format!("reading the value of {js}"))
    }

    /// The trimmed text of the first element matching `selector`, if there is one.
    pub async fn text(&self, selector: &str) -> anyhow::Result<Option<String>> {
        let sel = serde_json::to_string(selector)?;
        self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); return e ? e.textContent.trim() : null; }})()"
        ))
        .await
    }

    /// How many elements match `selector`.
    pub async fn count(&self, selector: &str) -> anyhow::Result<usize> {
        let sel = serde_json::to_string(selector)?;
        self.eval(&format!("document.querySelectorAll({sel}).length"))
            .await
    }

    /// Clicks the first element matching `selector` (a DOM click, like a user's).
    pub async fn click(&self, selector: &str) -> anyhow::Result<()> {
        let sel = serde_json::to_string(selector)?;
        let found: bool = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({sel}); if (!e) return false; e.click(); return true; }})()"
            ))
            .await?;
        if found {
            Ok(())
        } else {
            Err(anyhow!("no element matches {selector}"))
        }
    }

    /// Navigates within the app (same as following a link).
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.page.goto(url).await?;
        self.page.wait_for_navigation().await?;
        Ok(())
    }

    /// Runs `js` in every document this tab loads from now on, before the page's own scripts.
    pub async fn on_new_document(&self, js: &str) -> anyhow::Result<()> {
        self.page.evaluate_on_new_document(js).await?;
        Ok(())
    }

    /// Reloads the page.
    pub async fn reload(&self) -> anyhow::Result<()> {
        self.page.reload().await?;
        Ok(())
    }

    /// Sets the viewport (CSS pixels) and whether it is a phone.
    pub async fn viewport(&self, width: i64, height: i64, mobile: bool) -> anyhow::Result<()> {
        if let Ok(mut v) = self.viewport.lock() {
            *v = Some((width, height, mobile));
        }
        self.apply_viewport(width, height, mobile).await
    }

    async fn apply_viewport(&self, width: i64, height: i64, mobile: bool) -> anyhow::Result<()> {
        self.page
            .execute(SetDeviceMetricsOverrideParams::new(
                width,
                height,
                if mobile { 2.0 } else { 1.0 },
                mobile,
            ))
            .await?;
        Ok(())
    }

    /// Emulates the OS colour scheme (`dark` or `light`).
    pub async fn prefers(&self, scheme: &str) -> anyhow::Result<()> {
        self.page
            .emulate_media_features(vec![MediaFeature::new("prefers-color-scheme", scheme)])
            .await?;
        Ok(())
    }

    /// A PNG of the page (the whole page when `full`). A phone viewport set before stays set afterwards.
    pub async fn screenshot(&self, full: bool) -> anyhow::Result<Vec<u8>> {
        let png = self
            .page
            .screenshot(
                ScreenshotParams::builder()
                    .format(CaptureScreenshotFormat::Png)
                    .full_page(full)
                    .build(),
            )
            .await?;
        let viewport = self.viewport.lock().ok().and_then(|v| *v);
        if let (true, Some((width, height, mobile))) = (full, viewport) {
            self.apply_viewport(width, height, mobile).await?;
        }
        Ok(png)
    }
}
