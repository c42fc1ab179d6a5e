//! Writing a run's folder, safely for unattended reruns:
//! - a lock file beside `--out` (`.NAME.lock`, held with an OS file lock that dies with the process,
//!   removed when the run ends)
//!   stops two runs from writing the same folder at once;
//! - an existing `--out` is refused unless `--force`;
//! - every file is written into a temporary folder beside `--out` (`.NAME.tmp-PID`), which replaces
//!   `--out` in one atomic rename (an exchange on Linux) once everything is written, so `--out` always
//!   holds either the previous run or the new one, never a mix;
//! - SIGINT, SIGTERM and SIGHUP remove the temporary folder before the process exits (128 + signal);
//!   a run killed outright (SIGKILL, power loss) leaves it behind, and the next run on the same `--out`
//!   removes it once it holds the lock.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use super::{Error, Result};

/// Temporary folders to remove if a termination signal arrives. Commit holds this lock while it swaps
/// folders, so a signal never interrupts a swap half-way.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Installs the termination-signal handler (once per process). Without it, a signal kills the process
/// with the temporary folder still on disk.
pub fn install_signal_cleanup() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                // Holding the lock: no commit is half-way, and none starts.
                let pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
                let message = if pending.is_empty() {
                    format!("stopped by signal {sig}")
                } else {
                    for p in pending.iter() {
                        let _ = std::fs::remove_dir_all(p);
                    }
                    format!("stopped by signal {sig}; the output folder was left as it was")
                };
                crate::log::emit_error(&message, 128 + sig);
                std::process::exit(128 + sig);
            }
        });
    });
}

/// Creates a folder inside a run folder, never the run folder itself: once a signal has removed the
/// temporary folder, a late write fails instead of bringing it back.
fn create_subdir(dir: &Path) -> Result<()> {
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io(format!("creating {}", dir.display()), e)),
    }
}

/// Whether `file_name` is a temporary folder of a run on the output folder `name`:
/// `.NAME.tmp-PID` or `.NAME.tmp-PID-old`, exactly.
fn is_temporary_of(file_name: &str, name: &str) -> bool {
    let Some(rest) = file_name.strip_prefix(&format!(".{name}.tmp-")) else { return false };
    let pid = rest.strip_suffix("-old").unwrap_or(rest);
    !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())
}

/// A run folder under construction.
pub struct RunDir {
    /// The folder's resolved path (where it is written).
    pub target: PathBuf,
    /// The path as given (how messages name it).
    pub shown: PathBuf,
    pub tmp: PathBuf,
    committed: bool,
    /// Held for the life of the run; the OS releases it when the process ends, however it ends.
    _lock: FolderLock,
}

/// `p` made absolute, with symbolic links resolved as far as the path exists: the one name a folder
/// has however it is reached (locks and the replace-or-refuse checks use it).
pub fn resolved_path(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    if let Ok(real) = abs.canonicalize() {
        return real;
    }
    match (abs.parent(), abs.file_name()) {
        (Some(parent), Some(name)) => resolved_path(parent).join(name),
        _ => abs,
    }
}

/// Whether `dir` holds a folder custseg wrote (a run or a report): its `manifest.json` says so.
fn is_custseg_folder(dir: &Path) -> bool {
    super::manifest::read_back(dir).is_some_and(|m| m.get("tool").and_then(|t| t.as_str()) == Some("custseg"))
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The lock of a folder: `.NAME.lock` beside it, held with an OS file lock. The lock file is removed
/// when the lock is dropped (while still held), so finished runs leave none behind; a run that is
/// killed outright leaves it, and the next run takes it over.
pub struct FolderLock {
    _file: std::fs::File,
    path: PathBuf,
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Removed while held: a process waiting to open it either locks this file after the removal
        // (and sees, below, that the path no longer names it) or opens a new one.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether `path` still names the open `file` (the same inode): a lock file removed and created anew
/// by another run after we opened it is not the lock any more.
#[cfg(unix)]
fn names(path: &Path, file: &std::fs::File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(path), file.metadata()) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn names(path: &Path, _: &std::fs::File) -> bool {
    path.exists()
}

/// The lock of the folder `target` (already resolved): `.NAME.lock` beside it, held with an OS file lock
/// until the returned lock is dropped or the process ends. Another holder is [`Error::Busy`].
pub fn lock(target: &Path) -> Result<FolderLock> {
    let parent = parent_of(target);
    let name = target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "out".into());
    let lock_path = parent.join(format!(".{name}.lock"));
    loop {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(format!("opening the lock file {}", lock_path.display()), e))?;
        match file.try_lock() {
            Ok(()) if names(&lock_path, &file) => return Ok(FolderLock { _file: file, path: lock_path }),
            // The holder removed it as we opened it: take the new one.
            Ok(()) => continue,
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Busy(format!(
                    "{}: another custseg run is writing this folder (lock {} is held); try again when it has finished",
                    target.display(),
                    lock_path.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(format!("locking {}", lock_path.display()), e)),
        }
    }
}

impl RunDir {
    /// Takes the lock for `target` and starts a temporary folder. Fails if another run holds the lock,
    /// or if `target` exists and `force` is not set.
    pub fn create(target: &Path, force: bool) -> Result<RunDir> {
        let given = target;
        let parent = parent_of(given);
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        // Everything below works on the resolved path: a folder reached through a symbolic link is
        // locked, replaced and swept under its real name (and the link itself is left as it is).
        let target = &resolved_path(given);
        let parent = parent_of(target);
        let name = target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "out".into());
        let lock = lock(target)?;
        if target.exists() && !target.is_dir() {
            return Err(Error::Exists(format!("--out {}: exists and is not a folder", given.display())));
        }
        if target.exists() && !force {
            return Err(Error::Exists(format!(
                "--out {} already exists: pass --force to replace it (it is replaced only when the new run has \
                 finished), or choose another folder",
                given.display()
            )));
        }
        if target.exists() && !is_custseg_folder(target) {
            let empty = std::fs::read_dir(target).map(|mut d| d.next().is_none()).unwrap_or(false);
            if !empty {
                return Err(Error::Exists(format!(
                    "--out {}: --force replaces only a folder custseg wrote (one with its manifest.json), and this \
                     one has none: it was left as it is; choose another folder or empty this one",
                    given.display()
                )));
            }
        }
        // Leftovers of runs that were killed outright: nobody else can be using them, we hold the lock.
        if let Ok(entries) = std::fs::read_dir(&parent) {
            for e in entries.flatten() {
                if is_temporary_of(&e.file_name().to_string_lossy(), &name) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        // Registered first, so a signal arriving now still removes it.
        let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        pending.push(tmp.clone());
        std::fs::create_dir(&tmp).map_err(|e| Error::io(format!("creating {}", tmp.display()), e))?;
        drop(pending);
        Ok(RunDir { target: target.to_path_buf(), shown: given.to_path_buf(), tmp, committed: false, _lock: lock })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.join(name)
    }

    pub fn write_text(&self, name: &str, text: &str) -> Result<()> {
        self.write_bytes(name, text.as_bytes())
    }

    pub fn write_bytes(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let p = self.path(name);
        if let Some(dir) = p.parent().filter(|d| *d != self.tmp) {
            create_subdir(dir)?;
        }
        std::fs::write(&p, bytes).map_err(|e| Error::io(format!("writing {}", p.display()), e))
    }

    /// A buffered file in the folder (its sub-folder created), for outputs written row by row.
    pub fn create_file(&self, name: &str) -> Result<(PathBuf, std::io::BufWriter<std::fs::File>)> {
        let p = self.path(name);
        if let Some(dir) = p.parent().filter(|d| *d != self.tmp) {
            create_subdir(dir)?;
        }
        let f = std::fs::File::create(&p).map_err(|e| Error::io(format!("writing {}", p.display()), e))?;
        Ok((p, std::io::BufWriter::with_capacity(1 << 20, f)))
    }

    pub fn write_json<T: Serialize>(&self, name: &str, value: &T) -> Result<()> {
        let mut text = serde_json::to_string_pretty(value).map_err(|e| Error::io(format!("serializing {name}"), e.into()))?;
        text.push('\n');
        self.write_text(name, &text)
    }

    /// Every file written so far, as paths relative to the folder, sorted.
    pub fn files(&self) -> Result<Vec<String>> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
            for e in std::fs::read_dir(dir)? {
                let e = e?;
                let p = e.path();
                if e.file_type()?.is_dir() {
                    walk(root, &p, out)?;
                } else {
                    out.push(p.strip_prefix(root).unwrap_or(&p).to_string_lossy().replace('\\', "/"));
                }
            }
            Ok(())
        }
        let mut out = Vec::new();
        walk(&self.tmp, &self.tmp, &mut out).map_err(|e| Error::io(format!("listing {}", self.tmp.display()), e))?;
        out.sort();
        Ok(out)
    }

    /// Moves the finished folder into place, replacing an earlier run there in one step.
    pub fn commit(mut self) -> Result<PathBuf> {
        let io = |what: String| move |e: std::io::Error| Error::io(what, e);
        hold_before_commit();
        let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        sync_dir(&self.tmp);
        if self.target.exists() {
            if exchange(&self.tmp, &self.target).is_ok() {
                // The temporary name now holds the previous run.
                let _ = std::fs::remove_dir_all(&self.tmp);
            } else {
                // No atomic exchange here (not Linux, or the file system lacks it): two renames. The
                // previous run waits under a temporary name the next run would sweep, and comes back
                // if the second rename fails.
                let old = PathBuf::from(format!("{}-old", self.tmp.display()));
                std::fs::rename(&self.target, &old).map_err(io(format!("moving aside {}", self.target.display())))?;
                if let Err(e) = std::fs::rename(&self.tmp, &self.target) {
                    let _ = std::fs::rename(&old, &self.target);
                    return Err(Error::io(format!("moving into {}", self.target.display()), e));
                }
                let _ = std::fs::remove_dir_all(&old);
            }
        } else {
            std::fs::rename(&self.tmp, &self.target).map_err(io(format!("moving into {}", self.target.display())))?;
        }
        sync_dir(&parent_of(&self.target));
        pending.retain(|p| p != &self.tmp);
        self.committed = true;
        Ok(self.shown.clone())
    }
}

/// Test hook: with `CUSTSEG_HOLD_BEFORE_COMMIT=FILE`, a run that has written everything waits (up to
/// a minute) until FILE exists before moving its folder into place, so that tests can interrupt or
/// race a run at that exact point. Without the variable, nothing happens.
fn hold_before_commit() {
    if let Some(release) = std::env::var_os("CUSTSEG_HOLD_BEFORE_COMMIT") {
        let release = PathBuf::from(release);
        let start = std::time::Instant::now();
        while !release.exists() && start.elapsed() < std::time::Duration::from_secs(60) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    let cb = CString::new(b.as_os_str().as_bytes()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    // SAFETY: both are valid NUL-terminated paths; renameat2 only reads them.
    let rc = unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
            PENDING.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| p != &self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_folders_temporaries_are_swept() {
        assert!(is_temporary_of(".out.tmp-123", "out"));
        assert!(is_temporary_of(".out.tmp-123-old", "out"));
        assert!(!is_temporary_of(".out.tmp-", "out"));
        assert!(!is_temporary_of(".out.tmp-1.tmp-5", "out")); // the temporary of a folder named out.tmp-1
        assert!(!is_temporary_of(".out2.tmp-5", "out"));
        assert!(!is_temporary_of("out.tmp-5", "out"));
    }
}
