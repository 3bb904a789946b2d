//! QEMU's human monitor over a UNIX socket (`-monitor unix:PATH,server,nowait`):
//! typing on the guest's PS/2 keyboard with `sendkey`, and `screendump`,
//! read back as an RGB image.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Monitor {
    stream: UnixStream,
}

/// QEMU's key name for `c` on a US keyboard, with "shift-" where needed.
pub fn key_name(c: char) -> Option<String> {
    const SHIFTED: &str = "~!@#$%^&*()_+{}|:\"<>?";
    const PLAIN: &str = "`1234567890-=[]\\;',./";
    const NAMES: [&str; 21] = [
        "grave_accent",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "0",
        "minus",
        "equal",
        "bracket_left",
        "bracket_right",
        "backslash",
        "semicolon",
        "apostrophe",
        "comma",
        "dot",
        "slash",
    ];
    let name = match c {
        'a'..='z' | '0'..='9' => c.to_string(),
        'A'..='Z' => format!("shift-{}", c.to_ascii_lowercase()),
        ' ' => "spc".into(),
        '\n' => "ret".into(),
        '\t' => "tab".into(),
        _ => {
            // The shifted characters sit where their keys' plain ones do.
            let i = PLAIN.find(c).or_else(|| SHIFTED.find(c))?;
            let shift = if PLAIN.contains(c) { "" } else { "shift-" };
            format!("{shift}{}", NAMES[i])
        }
    };
    Some(name)
}

impl Monitor {
    /// Connects to the monitor's socket, waiting up to `timeout` for QEMU
    /// to create it.
    pub fn connect(path: &Path, timeout: Duration) -> io::Result<Monitor> {
        let deadline = Instant::now() + timeout;
        loop {
            match UnixStream::connect(path) {
                Ok(stream) => {
                    stream.set_read_timeout(Some(Duration::from_millis(200)))?;
                    let mut m = Monitor { stream };
                    m.drain();
                    return Ok(m);
                }
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Reads and drops what the monitor printed (its banner, echoes).
    fn drain(&mut self) -> String {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&all).into_owned()
    }

    /// Runs one monitor command; returns what the monitor printed.
    pub fn command(&mut self, cmd: &str) -> io::Result<String> {
        self.stream.write_all(format!("{cmd}\n").as_bytes())?;
        Ok(self.drain())
    }

    /// Types `text` on the guest's keyboard, a key at a time.
    pub fn type_text(&mut self, text: &str) -> io::Result<()> {
        for c in text.chars() {
            let key = key_name(c).ok_or_else(|| io::Error::other(format!("no key for {c:?}")))?;
            self.command(&format!("sendkey {key}"))?;
        }
        Ok(())
    }

    /// The guest's screen, through `screendump` to `path`.
    pub fn screendump(&mut self, path: &Path) -> io::Result<Image> {
        let _ = std::fs::remove_file(path);
        self.command(&format!("screendump {}", path.display()))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(bytes) = std::fs::read(path) {
                if let Some(img) = Image::from_ppm(&bytes) {
                    return Ok(img);
                }
            }
            if Instant::now() >= deadline {
                return Err(io::Error::other(format!("no readable screendump in {}", path.display())));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// An RGB image (what `screendump` writes, as binary PPM).
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Image {
    /// Parses a binary PPM ("P6", maximum value 255); None if incomplete.
    pub fn from_ppm(bytes: &[u8]) -> Option<Image> {
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while bytes.get(at)?.is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !bytes.get(at)?.is_ascii_whitespace() {
                at += 1;
            }
            fields.push(std::str::from_utf8(&bytes[start..at]).ok()?.to_string());
        }
        at += 1; // the one whitespace byte before the pixels
        if fields[0] != "P6" || fields[3] != "255" {
            return None;
        }
        let (width, height): (usize, usize) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
        let rgb = bytes.get(at..at + width * height * 3)?.to_vec();
        Some(Image { width, height, rgb })
    }

    /// Whether the pixel at (x, y) is lit (not the dark background).
    pub fn lit(&self, x: usize, y: usize) -> bool {
        let i = (y * self.width + x) * 3;
        self.rgb[i..i + 3].iter().any(|&c| c > 0x40)
    }

    /// A `cw` x `ch` character cell at (row, col) as a bitmap: one value
    /// per pixel row, bit `cw - 1 - x` for pixel x.
    pub fn cell(&self, row: usize, col: usize, cw: usize, ch: usize) -> Vec<u32> {
        (0..ch)
            .map(|y| (0..cw).fold(0u32, |bits, x| bits << 1 | u32::from(self.lit(col * cw + x, row * ch + y))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names() {
        assert_eq!(key_name('a').as_deref(), Some("a"));
        assert_eq!(key_name('S').as_deref(), Some("shift-s"));
        assert_eq!(key_name('>').as_deref(), Some("shift-dot"));
        assert_eq!(key_name('$').as_deref(), Some("shift-4"));
        assert_eq!(key_name('/').as_deref(), Some("slash"));
        assert_eq!(key_name('|').as_deref(), Some("shift-backslash"));
        assert_eq!(key_name('\n').as_deref(), Some("ret"));
        assert_eq!(key_name('é'), None);
    }

    #[test]
    fn ppm() {
        let mut bytes = b"P6\n2 1\n255\n".to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        let img = Image::from_ppm(&bytes).unwrap();
        assert!((img.width, img.height) == (2, 1) && !img.lit(0, 0) && img.lit(1, 0));
        assert!(Image::from_ppm(&bytes[..bytes.len() - 1]).is_none());
    }
}
