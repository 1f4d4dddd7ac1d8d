//! Host resource figures (CPU, memory, disk) as smooth waves: a deterministic function of the
//! seed and the seconds since the simulator started, so a demo looks alive and a test run with
//! the same seed sees the same shapes. KATO reports host-wide psutil figures with one decimal.

use rand::{Rng, SeedableRng, rngs::StdRng};

/// One sample of the host's resources.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResourceSample {
    pub cpu_percent: f64,
    pub memory_percent: f64,
    pub memory_bytes: i64,
    pub disk_percent: f64,
}

/// Seeded wave parameters.
#[derive(Clone, Debug)]
pub struct Waves {
    cpu: [(f64, f64, f64); 3],
    mem: [(f64, f64, f64); 2],
    disk_phase: f64,
    total_memory: f64,
}

impl Waves {
    pub fn new(seed: u64) -> Waves {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5741_5645_5321);
        let mut wave = |amp: f64, period: f64| {
            let period = period * rng.random_range(0.8..1.25);
            (amp, period, rng.random_range(0.0..std::f64::consts::TAU))
        };
        Waves {
            // CPU swings from ~15 % to ~90 %: crosses KATO's 80 % "High CPU usage" line now and then.
            cpu: [wave(24.0, 180.0), wave(11.0, 47.0), wave(5.0, 13.0)],
            mem: [wave(6.0, 600.0), wave(2.0, 71.0)],
            disk_phase: rng.random_range(0.0..std::f64::consts::TAU),
            total_memory: 16.0 * 1024.0 * 1024.0 * 1024.0,
        }
    }

    /// The sample at `t` seconds after the simulator started.
    pub fn sample(&self, t: f64) -> ResourceSample {
        let s = |(amp, period, phase): (f64, f64, f64)| {
            amp * (std::f64::consts::TAU * t / period + phase).sin()
        };
        let cpu = 50.0 + self.cpu.iter().map(|w| s(*w)).sum::<f64>();
        let mem = 38.0 + self.mem.iter().map(|w| s(*w)).sum::<f64>();
        let disk = 16.2 + 0.3 * (t / 3600.0 + self.disk_phase).sin() + t / 864_000.0;
        let memory_percent = round1(mem.clamp(1.0, 99.0));
        ResourceSample {
            cpu_percent: round1(cpu.clamp(0.0, 100.0)),
            memory_percent,
            memory_bytes: (self.total_memory * mem.clamp(1.0, 99.0) / 100.0) as i64,
            disk_percent: round1(disk.clamp(0.0, 100.0)),
        }
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_smooth_and_in_range() {
        let a = Waves::new(7);
        let b = Waves::new(7);
        let mut prev = a.sample(0.0);
        let mut above_80 = false;
        for step in 1..2000 {
            let t = f64::from(step) * 0.5;
            let s = a.sample(t);
            assert_eq!(s, b.sample(t));
            assert!((0.0..=100.0).contains(&s.cpu_percent));
            assert!(
                (s.cpu_percent - prev.cpu_percent).abs() < 6.0,
                "smooth at {t}"
            );
            above_80 |= s.cpu_percent > 80.0;
            prev = s;
        }
        assert!(above_80, "CPU should sometimes cross KATO's 80 % line");
        assert_ne!(Waves::new(1).sample(10.0), Waves::new(2).sample(10.0));
    }
}
