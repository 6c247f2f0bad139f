//! The sweep's progress bar: done / total, failures and an ETA, on the last line of a
//! terminal: [`crate::log`]'s status line, so that log lines written meanwhile go above
//! it. Off a terminal there is no bar: the
//! engine's log lines say the same.

use std::io::IsTerminal;
use std::time::Instant;

/// Erases the bar for good.
pub(super) fn clear() {
    crate::log::set_status_line(None);
}

pub(super) struct Bar {
    on: bool,
    t0: Instant,
    done_at_start: usize,
}

impl Bar {
    pub(super) fn start(done: usize, total: usize) -> Bar {
        let bar = Bar {
            on: std::io::stderr().is_terminal(),
            t0: Instant::now(),
            done_at_start: done,
        };
        bar.draw(done, total, 0);
        bar
    }

    pub(super) fn update(&mut self, done: usize, total: usize, failed: usize) {
        self.draw(done, total, failed);
    }

    fn draw(&self, done: usize, total: usize, failed: usize) {
        if !self.on {
            return;
        }
        const WIDTH: usize = 30;
        let filled = (done * WIDTH)
            .checked_div(total)
            .unwrap_or(WIDTH)
            .min(WIDTH);
        let rate_done = done.saturating_sub(self.done_at_start);
        let eta = match rate_done {
            0 => "ETA -".to_string(),
            n => {
                let per = self.t0.elapsed().as_secs_f64() / n as f64;
                let left = (total.saturating_sub(done)) as f64 * per;
                format!("ETA {}:{:02}", (left / 60.0) as u64, (left % 60.0) as u64)
            }
        };
        let text = format!(
            "[{}{}] {done}/{total} done, {failed} failed, {eta}",
            "#".repeat(filled),
            " ".repeat(WIDTH - filled)
        );
        crate::log::set_status_line(Some(text));
    }

    pub(super) fn finish(self) {
        if self.on {
            clear();
        }
    }
}
