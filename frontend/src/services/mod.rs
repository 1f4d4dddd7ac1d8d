//! App-wide services, provided once by the shell as contexts (`provide_*`) and read anywhere with `use_*`:
//! the clock, the theme, the settings (admin token), the live view models fed by the socket, storage, and the
//! shell's overlays (`ui`).

pub mod clock;
pub mod fallback;
pub mod live;
pub mod settings;
pub mod storage;
pub mod theme;
pub mod ui;

pub use clock::{axis_time, local_datetime, local_time, now_ms, provide_clock, use_clock};
pub use live::{Live, provide_live, use_live};
pub use settings::{Settings, provide_settings, use_settings};
pub use theme::{ThemeMode, provide_theme, use_theme};
pub use ui::{Ui, provide_ui, use_ui};
